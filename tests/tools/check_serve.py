#!/usr/bin/env python3
"""`rill replay --serve`: while a paced replay runs, /metrics carries its counters and
/events streams its records with increasing ids; the replay then ends normally.

    check_serve.py RILL_BINARY DATA.csv
"""
import re
import subprocess
import sys
import time
import urllib.request

rill, data = sys.argv[1:3]
proc = subprocess.Popen([rill, "replay", "--input", data, "--detector", "adwin", "--on-drift", "reset",
                         "--serve", "127.0.0.1:0", "--rate", "15000", "--linger", "1", "--no-progress"],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def fail(msg):
    proc.kill()
    sys.exit("check_serve: " + msg)


url = None
deadline = time.time() + 20
while time.time() < deadline and url is None:
    line = proc.stderr.readline()
    if not line:
        break
    m = re.match(r"live view: (http://127\.0\.0\.1:\d+/)", line)
    if m:
        url = m.group(1)
if url is None:
    fail("no 'live view: URL' line on stderr")

time.sleep(0.5)
metrics = urllib.request.urlopen(url + "metrics", timeout=10).read().decode()
values = {}
for line in metrics.splitlines():
    if line and not line.startswith("#"):
        name, value = line.rsplit(" ", 1)
        values[name] = float(value)
for name in ("rill_events_total", "rill_accuracy", "rill_model_version", "rill_latency_seconds_count"):
    if name not in values:
        fail(f"/metrics lacks {name}")
if not values["rill_events_total"] > 0:
    fail("no events counted yet")

stream = urllib.request.urlopen(url + "events", timeout=10)
ids = []
kinds = set()
while len(ids) < 20:
    line = stream.readline().decode()
    if not line:
        fail("/events ended early")
    if line.startswith("id: "):
        ids.append(int(line[4:]))
    if line.startswith("data: {"):
        m = re.search(r'"kind":"(\w+)"', line)
        if m:
            kinds.add(m.group(1))
stream.close()
if ids != sorted(ids) or len(set(ids)) != len(ids):
    fail(f"/events ids not increasing: {ids}")
if "prediction" not in kinds:
    fail(f"no prediction records among {kinds}")

out, err = proc.communicate(timeout=60)
if proc.returncode != 0:
    fail(f"exit {proc.returncode}: {err}")
if "prequential   accuracy" not in out:
    fail("no summary printed")
print(f"check_serve: {int(values['rill_events_total'])} events by the first scrape, "
      f"ids {ids[0]}..{ids[-1]}, kinds {sorted(kinds)}")
