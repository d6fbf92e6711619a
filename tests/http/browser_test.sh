#!/bin/sh
# Loads the live view in Debian's headless chromium during a paced replay of
# data/elec2.csv, checks that the page received live updates, and saves a screenshot
# to $SCREENSHOT_DIR/live_view.png (default: docs/img, the one docs/live_view.md shows;
# ctest passes its build directory).
#   tests/http/browser_test.sh <live_demo binary> [repo root]
# Exit 0: passed; 1: failed; 77: skipped (no chromium, or it cannot start here).
set -u
demo=${1:?usage: browser_test.sh <live_demo binary> [repo root]}
root=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
flags="--headless --no-sandbox --disable-gpu --disable-background-networking --window-size=1280,900"
work=$(mktemp -d)
demo_pid=
cleanup() { [ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

if [ -z "$chromium" ]; then
  echo "SKIP: chromium not found (apt-get install chromium)"; exit 77
fi
if ! timeout 60 "$chromium" $flags --dump-dom "data:text/html,<p>ok</p>" >"$work/probe" 2>"$work/probe.err" ||
   ! grep -q "<p>ok</p>" "$work/probe"; then
  echo "SKIP: chromium cannot start here:"; tail -3 "$work/probe.err"; exit 77
fi

"$demo" --csv "$root/data/elec2.csv" --rate 2000 --seconds 60 >"$work/demo.out" 2>&1 &
demo_pid=$!
for _ in $(seq 100); do grep -q "^live view: " "$work/demo.out" && break; sleep 0.1; done
url=$(sed -n 's/^live view: //p' "$work/demo.out")
[ -n "$url" ] || { echo "FAIL: the demo did not print its URL"; cat "$work/demo.out"; exit 1; }
echo "demo serving at $url"

# The page closes its stream after 10 stats messages (~10 s of live updates): a browser
# on virtual time waits while a stream is open. Then the budget runs out and chromium
# writes the DOM and the screenshot.
page="${url}?stop_after=10"
attr() { printf '%s' "$body" | sed -n "s/.*data-$1=\"\([0-9]*\)\".*/\1/p"; }
# One live run of the page; a second try only if the first falls short (a headless
# browser on a loaded 2-core machine can miss its virtual-time budget once).
for attempt in 1 2; do
  timeout 90 "$chromium" $flags --virtual-time-budget=3000 --dump-dom "$page" >"$work/dom.html" 2>"$work/dom.err"
  body=$(grep -o '<body[^>]*>' "$work/dom.html")
  echo "page state (attempt $attempt): $body"
  events=$(attr events-received); stats=$(attr stats-received); polls=$(attr metrics-polls)
  done_flag=$(attr done)
  fail=0
  [ "${events:-0}" -ge 100 ] || { echo "FAIL: only ${events:-0} live records reached the page"; fail=1; }
  [ "${stats:-0}" -ge 10 ] || { echo "FAIL: only ${stats:-0} stats messages reached the page"; fail=1; }
  [ "${polls:-0}" -ge 5 ] || { echo "FAIL: only ${polls:-0} /metrics polls"; fail=1; }
  [ "$done_flag" = 1 ] || { echo "FAIL: the page did not finish its live run"; fail=1; }
  [ $fail = 0 ] && break
  tail -3 "$work/dom.err"
done

shots=${SCREENSHOT_DIR:-$root/docs/img}
mkdir -p "$shots"
timeout 90 "$chromium" $flags --virtual-time-budget=3000 --screenshot="$work/live_view.png" "$page" \
  >"$work/shot.out" 2>&1
if [ -s "$work/live_view.png" ]; then
  cp "$work/live_view.png" "$shots/live_view.png"
  echo "screenshot: $shots/live_view.png"
else
  echo "FAIL: no screenshot"; tail -3 "$work/shot.out"; fail=1
fi
[ $fail = 0 ] && echo "PASS: the dashboard received $events live records, $stats stats messages, $polls /metrics polls"
exit $fail
