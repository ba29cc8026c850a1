#!/bin/sh
# Issue 22, point 2: process per client under 100 clients that connect at once, measured from outside
# by the C load generator, with a plain Node echo server in the same rows (bench --target).
# The server runs as `serve` with a budget that lets 100 children run (the default on 2 cores is 32),
# and is left to start its spares first; each repeat is a new storm of 100 newcomers against it (a bench
# run with the plain server first in the same run), so the first storm meets only the spares kept at
# rest and later ones the spares grown by the storms before.
#
#   npm run build && sh bench/process-storm.sh [repeats=3] [port=47311] [extra serve flags...]
#
# Read: "all 1st reply" (the last of the 100 first replies, from the moment all send), msgs/s and
# ×plain (measured after the warm-up, once every child runs).
set -e
REPEAT=${1:-3}
PORT=${2:-47311}
if [ $# -ge 2 ]; then shift 2; else shift $#; fi
DIR=$(dirname "$0")/..
node "$DIR/dist/cli.js" serve --mode process --max-workers 120 --port "$PORT" "$@" 2>"${SERVE_LOG:-/dev/null}" &
SERVE=$!
trap 'kill $SERVE 2>/dev/null' EXIT INT TERM
# The spares start one at a time after it listens.
sleep "${SETTLE:-10}"
# The port must be this serve's, not another server's that held it first.
if ! ss -ltnpH "( sport = :$PORT )" | grep -q "pid=$SERVE,"; then
	echo "port $PORT is not served by serve (pid $SERVE): choose another (second argument)" >&2
	exit 1
fi
echo "children of serve (pid $SERVE) before the first storm: $(cat /proc/$SERVE/task/*/children | wc -w)"
# One bench run a storm, so that each storm's figures show (a repeated bench prints medians).
i=1
while [ "$i" -le "$REPEAT" ]; do
	echo "storm $i: $(cat /proc/$SERVE/task/*/children | wc -w) children of serve before it"
	node "$DIR/dist/cli.js" bench --modes none --target "127.0.0.1:$PORT" --clients 100 --workloads echo \
		--duration 3 --warmup "${WARMUP:-3}" --wide 2>/dev/null | grep -E '^(server|plain|target)'
	i=$((i + 1))
done
echo "children of serve after: $(cat /proc/$SERVE/task/*/children | wc -w)"
