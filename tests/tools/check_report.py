#!/usr/bin/env python3
"""End-to-end check of `rill replay --report`: the time series agrees with the
summary of the same run, and tools/plot_replay.py draws it.

    check_report.py RILL_BINARY DATA.csv OUTDIR SOURCE_DIR
"""
import csv
import json
import os
import subprocess
import sys

rill, data, out, source = sys.argv[1:5]
os.makedirs(out, exist_ok=True)
report = os.path.join(out, "report.csv")
args = [rill, "replay", "--input", data, "--detector", "adwin", "--scale",
        "--features", "raw,mean:48,std:48", "--report", report, "--report-every", "1000",
        "--summary", "json", "--no-progress"]
summary = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
rows = list(csv.DictReader(open(report, newline="")))


def fail(msg):
    sys.exit("check_report: " + msg)


n = summary["rows"]
if len(rows) != -(-n // 1000):
    fail(f"{len(rows)} report lines for {n} rows every 1000")
if [int(r["row"]) for r in rows] != [min(n, 1000 * (i + 1)) for i in range(len(rows))]:
    fail("row column is not 1000, 2000, ..., rows")
last = rows[-1]
if int(last["labels"]) != summary["labels"]:
    fail(f"labels {last['labels']} != summary {summary['labels']}")
if abs(float(last["accuracy"]) - summary["metrics"]["accuracy"]) > 1e-6:
    fail(f"final accuracy {last['accuracy']} != summary {summary['metrics']['accuracy']}")
# The interval accuracies, weighted by their label counts, give back the total.
labels = [int(r["labels"]) for r in rows]
per = [b - a for a, b in zip([0] + labels, labels)]
correct = sum(p * float(r["accuracy_interval"]) for p, r in zip(per, rows))
if abs(correct / labels[-1] - summary["metrics"]["accuracy"]) > 1e-4:
    fail("interval accuracies do not add up to the total")
drift_rows = [int(d) for r in rows for d in r["drift_rows"].split(";") if d]
if drift_rows != summary["drift"]["drifts"]:
    fail(f"drift rows {drift_rows} != summary {summary['drift']['drifts']}")
if int(last["drifts"]) != len(summary["drift"]["drifts"]):
    fail("drifts column does not count the drifts")
latency = list(csv.DictReader(open(os.path.join(out, "report.latency.csv"), newline="")))
if sum(int(r["count"]) for r in latency) != n:
    fail("latency histogram does not hold one value per row")

try:
    import matplotlib  # noqa: F401
except ImportError:
    print("check_report: matplotlib missing, plot not checked")
    sys.exit(0)
png = os.path.join(out, "report.png")
subprocess.run([sys.executable, os.path.join(source, "tools", "plot_replay.py"), report, png],
               check=True, capture_output=True)
with open(png, "rb") as f:
    head = f.read(8)
if head != b"\x89PNG\r\n\x1a\n" or os.path.getsize(png) < 10000:
    fail("plot_replay.py did not write a PNG")
print(f"check_report: {len(rows)} intervals, {len(drift_rows)} drifts, plot {os.path.getsize(png)} bytes")
