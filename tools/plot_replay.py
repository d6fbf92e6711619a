#!/usr/bin/env python3
"""Plot a `rill replay --report R.csv` run as a PNG.

    tools/plot_replay.py R.csv OUT.png [--title TEXT]

Top: the prequential metric per reporting interval (accuracy for a 0/1 label, MAE
otherwise) and its running value, with the detector's drift points as vertical lines.
Bottom: the histogram of per-event latency from R.latency.csv (written next to R.csv),
on a log axis, with p50/p99/p99.9 marked.

Needs python3-matplotlib (Debian). Reads only the CSV files; no other dependency.
"""
import argparse
import csv
import math
import os
import sys


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def quantile(buckets, q):
    total = sum(c for _, _, c in buckets)
    rank = max(1, int(-(-q * total // 1)))
    seen = 0
    for lo, hi, c in buckets:
        seen += c
        if seen >= rank:
            return (lo + hi) / 2
    return buckets[-1][1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report", help="the CSV written by rill replay --report")
    ap.add_argument("out", help="the PNG to write")
    ap.add_argument("--title", default=None)
    args = ap.parse_args()

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("plot_replay.py needs matplotlib: apt-get install python3-matplotlib")

    rows = read_rows(args.report)
    if not rows:
        sys.exit(f"{args.report}: no rows")
    classification = "accuracy" in rows[0]
    metric = "accuracy" if classification else "mae"
    x = [int(r["row"]) for r in rows]
    interval = [float(r[metric + "_interval"]) for r in rows]
    running = [float(r[metric]) for r in rows]
    drifts = [int(d) for r in rows for d in r["drift_rows"].split(";") if d]

    latency_path = args.report[:-4] + ".latency.csv" if args.report.endswith(".csv") \
        else args.report + ".latency.csv"
    buckets = []
    if os.path.exists(latency_path):
        buckets = [(int(r["lower_ns"]), int(r["upper_ns"]), int(r["count"]))
                   for r in read_rows(latency_path)]

    fig, axes = plt.subplots(2 if buckets else 1, 1, figsize=(10, 7 if buckets else 4),
                             squeeze=False)
    ax = axes[0][0]
    ax.plot(x, interval, lw=0.9, color="#4c72b0", label=f"{metric} per interval")
    ax.plot(x, running, lw=1.8, color="#dd8452", label=f"{metric} so far")
    for i, d in enumerate(drifts):
        ax.axvline(d, color="#c44e52", lw=0.8, alpha=0.7, ls="--",
                   label="drift detected" if i == 0 else None)
    ax.set_xlabel("events")
    ax.set_ylabel(metric)
    ax.set_title(args.title or f"rill replay: {os.path.basename(args.report)}")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right" if classification else "upper right", fontsize=8)

    if buckets:
        ax = axes[1][0]
        # rill's buckets are fine (128 per power of two); draw 8 per power of two.
        bins = {}
        for lo, hi, c in buckets:
            k = int(math.floor(math.log2(max(1.0, (lo + hi) / 2)) * 8))
            bins[k] = bins.get(k, 0) + c
        lefts = [2 ** (k / 8) for k in sorted(bins)]
        widths = [2 ** ((k + 1) / 8) - 2 ** (k / 8) for k in sorted(bins)]
        counts = [bins[k] for k in sorted(bins)]
        ax.bar(lefts, counts, width=widths, color="#55a868", align="edge")
        ax.set_xscale("log")
        ax.set_yscale("log")
        for q, name in ((0.5, "p50"), (0.99, "p99"), (0.999, "p99.9")):
            v = quantile(buckets, q)
            ax.axvline(v, color="#333333", lw=0.8, ls=":")
            ax.text(v, max(counts), f" {name} {v:.0f} ns", rotation=90, va="top", fontsize=8)
        ax.set_xlabel("latency per event, ns (push + feedback)")
        ax.set_ylabel("events")
        ax.grid(alpha=0.3, which="both")

    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(args.out)


if __name__ == "__main__":
    main()
