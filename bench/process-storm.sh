#!/bin/sh
# Issue 22, point 2: process per client under storms of 100 clients that connect at once, measured
# from outside by the C load generator (`bench --target`), with a plain Node echo server in the same
# bench run (the ×plain column).
#
#   npm run build && sh bench/process-storm.sh [storms=3] [server command...]
#
# The server command gets the port in $PORT; by default this checkout's process per client:
#   node dist/cli.js serve --mode process --max-workers 120 --port $PORT
# (a budget that lets 100 children run: the default on 2 cores is 32). For the tutorial's own:
#   sh bench/process-storm.sh 3 python3 examples/python/process_server.py --port '$PORT'
# It is left SETTLE seconds (default 10) to start its spares. Each storm is one bench run (calibration,
# plain, then the server), so the first storm meets only the spares kept at rest and the later ones
# what the storms before left. Read per storm: "all 1st reply" (the last of the 100 first replies,
# from the moment all send: "never (N)" when N had none within the window), msgs/s and ×plain.
# WARMUP (default 3) is the bench's --warmup. WAIT_CHILDREN=100: storms after the first wait for the
# spares the first grew (this branch's process per client keeps as many as a burst brought).
set -e
STORMS=${1:-3}
if [ $# -ge 1 ]; then shift; fi
DIR=$(dirname "$0")/..
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
export PORT
if [ $# -eq 0 ]; then
	set -- node "$DIR/dist/cli.js" serve --mode process --max-workers 120 --port '$PORT'
fi
# $PORT in the command is the port chosen here.
COMMAND=$(printf '%s ' "$@" | sed "s/\$PORT/$PORT/g")
sh -c "exec $COMMAND" 2>"${SERVE_LOG:-/dev/null}" >/dev/null &
SERVE=$!
trap 'kill $SERVE 2>/dev/null' EXIT INT TERM
sleep "${SETTLE:-10}"
# The port must be this server's, not another that held it first.
if ! ss -ltnpH "( sport = :$PORT )" | grep -q "pid=$SERVE,"; then
	echo "port $PORT is not served by pid $SERVE ($COMMAND)" >&2
	exit 1
fi
children() { cat /proc/$SERVE/task/*/children 2>/dev/null | wc -w; }
echo "$COMMAND (pid $SERVE), load $(cut -d' ' -f1 /proc/loadavg)"
i=1
while [ "$i" -le "$STORMS" ]; do
	# WAIT_CHILDREN=N: before each storm after the first, wait (up to 240 s) for N children, the
	# spares grown by the storm before, so that the storm meets them all started.
	if [ "$i" -gt 1 ] && [ -n "$WAIT_CHILDREN" ]; then
		waited=0
		while [ "$(children)" -lt "$WAIT_CHILDREN" ] && [ "$waited" -lt 240 ]; do
			sleep 1
			waited=$((waited + 1))
		done
		echo "  (waited ${waited} s for $WAIT_CHILDREN children)"
	fi
	echo "storm $i: $(children) children before it, load $(cut -d' ' -f1 /proc/loadavg)"
	node "$DIR/dist/cli.js" bench --modes none --target "127.0.0.1:$PORT" --clients 100 --workloads echo \
		--duration 3 --warmup "${WARMUP:-3}" --json 2>/dev/null | node -e '
			let text = ""; process.stdin.on("data", (d) => (text += d)).on("end", () => {
				for (const r of JSON.parse(text).rows) {
					const last = r.firstReplies < r.clients ? `${r.clients - r.firstReplies} never` : `${Math.round(r.allFirstReplyMs)} ms`;
					console.log(`  ${(r.baseline ? "plain" : "server").padEnd(6)} ${String(Math.round(r.messagesPerSec)).padStart(6)} msgs/s  x${r.ratioMessagesPerSec ?? "-"}  first replies ${r.firstReplies}/${r.clients}, the last: ${last}  server CPU/msg ${r.cpuMicrosPerMessage} us`);
				}
			});'
	i=$((i + 1))
done
echo "children after: $(children)"
