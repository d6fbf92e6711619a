#!/bin/sh
# Runs examples/redis_scale_out.cpp's three roles against a private redis-server:
# feed (data/elec2.csv -> elec2:in), two inference consumers in one group, one learner.
#   usage: examples/redis_scale_out.sh [path/to/redis_scale_out] [path/to/elec2.csv]
set -eu
BIN=${1:-./redis_scale_out}
CSV=${2:-data/elec2.csv}
command -v redis-server >/dev/null || { echo "SKIPPED: redis-server is not on PATH"; exit 77; }
DIR=$(mktemp -d /tmp/rill_scale_out.XXXXXX)
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --bind 127.0.0.1 --dir "$DIR" --save "" --appendonly yes \
  --logfile "$DIR/redis.log" --daemonize no &
REDIS=$!
trap 'kill $REDIS 2>/dev/null; wait $REDIS 2>/dev/null; rm -rf "$DIR"' EXIT
until redis-cli -p "$PORT" ping >/dev/null 2>&1; do sleep 0.05; done
export REDIS_PORT=$PORT

START=$(date +%s.%N)
"$BIN" learn > "$DIR/learn.out" & L=$!
"$BIN" infer alpha > "$DIR/alpha.out" & A=$!
"$BIN" infer beta > "$DIR/beta.out" & B=$!
sleep 0.3   # let the consumers join their groups (they read from the start anyway)
"$BIN" feed "$CSV"
wait $L $A $B
END=$(date +%s.%N)
cat "$DIR/learn.out" "$DIR/alpha.out" "$DIR/beta.out"

IN=$(redis-cli -p "$PORT" XLEN elec2:in)
OUT=$(redis-cli -p "$PORT" XLEN elec2:out)
DEAD=$(redis-cli -p "$PORT" XLEN elec2:in:dead)
PENDING=$(redis-cli -p "$PORT" XPENDING elec2:in infer | head -1)
echo "stream elec2:in $IN entries; elec2:out $OUT results; dead letters $DEAD; pending in group infer $PENDING"
echo "elapsed $(echo "$END - $START" | bc 2>/dev/null || echo '?') s"
[ "$IN" = "$OUT" ] && [ "$PENDING" = 0 ]
