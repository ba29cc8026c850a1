import {performance} from 'node:perf_hooks';
import {getHeapStatistics, setFlagsFromString} from 'node:v8';
import {runInNewContext} from 'node:vm';

/** How often the heap and the event loop are looked at. */
const CHECK_MS = 500;
/** Below this share of the last CHECK_MS spent working, the burst is over. */
const QUIET_UTILIZATION = 0.05;
/** Heap growth above the last collection's figure that is worth giving back. */
const GROWTH = 1.1;
const SLACK_BYTES = 2 ** 20;
const ROUNDS = 3;

/**
 * V8 flags for every process the server starts (the server process, process-per-client and cluster
 * children): a young generation that stays small, and V8's memory reducer (a collection that also
 * compacts and gives pages back) 0.2 s after a full collection instead of 8 s. On the command line
 * they shape the heap from its start; set later (collectWhenQuiet, for a server inside the
 * dashboard's process) they act from the next time the heap grows.
 */
export const LEAN_HEAP_FLAGS = ['--optimize-for-size', '--gc-memory-reducer-start-delay-ms=200'];

let flagsSet = false;
let collect: (() => void) | undefined;

/** V8's gc(), from a context of its own, made the first time it is needed (a context costs a start). */
function gc(): void {
	if (!collect) {
		setFlagsFromString('--expose-gc');
		collect = runInNewContext('gc') as () => void;
	}
	collect();
}

/**
 * Makes the V8 heap of this process (or worker thread) give back what a burst of connections took
 * once it is over, so that the server is back to its idle RSS within seconds (issue 10.7).
 *
 * Two causes, measured after 5 s of connect-and-reset churn (bench/churn-rss.ts): V8's young
 * generation grows from 1 to 16 MB per semi-space under allocation and is never shrunk while nothing
 * allocates (32 MB of RSS that stayed 15 s and more), and the old generation keeps the garbage
 * promoted during the burst until its next collection, which an idle server never reaches (V8's own
 * memory reducer starts 8 s after a full collection, only then).
 * `--optimize-for-size` keeps the young generation small (it is read when a heap grows, so setting it
 * here works for the heap already running and for every worker thread started later); and once the
 * event loop has been under 5% busy for CHECK_MS while the heap is 10% above what the last
 * collection left, a full collection gives the old generation back, and one or two more on the next
 * quiet checks compact what the first swept. Nothing runs while the process is busy, and after that
 * nothing more until the heap grows again. Returns the function that stops it.
 */
export function collectWhenQuiet(): () => void {
	if (!flagsSet) {
		for (const flag of LEAN_HEAP_FLAGS) setFlagsFromString(flag);
		flagsSet = true;
	}
	let floor = getHeapStatistics().total_heap_size;
	/** Collections still to run in this quiet spell: the second compacts what the first swept. */
	let rounds = 0;
	let last = performance.eventLoopUtilization();
	const timer = setInterval(() => {
		const now = performance.eventLoopUtilization();
		const busy = performance.eventLoopUtilization(now, last).utilization;
		last = now;
		const heap = getHeapStatistics().total_heap_size;
		floor = Math.min(floor, heap);
		if (busy > QUIET_UTILIZATION) return;
		if (rounds === 0 && heap > floor * GROWTH + SLACK_BYTES) rounds = ROUNDS;
		if (rounds === 0) return;
		rounds--;
		gc();
		floor = getHeapStatistics().total_heap_size;
	}, CHECK_MS);
	timer.unref();
	return () => clearInterval(timer);
}
