import {performance} from 'node:perf_hooks';
import {getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString} from 'node:v8';
import {runInNewContext} from 'node:vm';

/** How often the heap and the event loop are looked at. */
const CHECK_MS = 500;
/** Below this share of the last CHECK_MS spent working, the burst is over. */
const QUIET_UTILIZATION = 0.05;
/** Heap growth above the last collection's figure that is worth giving back. */
const GROWTH = 1.1;
const SLACK_BYTES = 2 ** 20;
/**
 * Young-generation collections in a quiet spell, STEP_MS apart: V8 shrinks its young generation
 * only at a collection that sees a low allocation rate, averaged over its last ten collections or
 * 5 s, so quiet ones push the burst's out of that average (measured: the 12th, 1.2 s in).
 */
const MINOR_ROUNDS = 15;
/** Full collections after them: the later ones compact what the first swept. */
const MAJOR_ROUNDS = 3;
const STEP_MS = 100;

/** Spells in a row that may end with the young generation still grown (still allocating). */
const MAX_MISSES = 3;

const young = () =>
	getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;

/**
 * V8's gc(): with no argument a full, synchronous collection. Node 20's V8 does nothing for
 * `{type: 'major'}` (measured: 87 MB of garbage kept, 0.4 ms), so only the young generation's is
 * asked for by option.
 */
type Collect = (options?: {type: 'minor'; execution: 'sync'}) => void;
let collect: Collect | undefined;

/**
 * V8's gc(), from a context of its own, made the first time it is needed. `--expose-gc` is set only
 * while that context is made: a V8 flag left set changes V8's flag hash, and every isolate started
 * afterwards (a worker thread) would then refuse Node's built-in code cache and start 1.5x slower.
 * Worker threads may do this at the same time: each unsets what it set, so the flag ends unset, and
 * one that found it unset too early tries again on its next collection.
 */
function gc(type: 'major' | 'minor'): void {
	if (!collect) {
		setFlagsFromString('--expose-gc');
		try {
			collect = runInNewContext('gc') as Collect;
		} catch {
			// Another thread unset the flag in between.
		} finally {
			setFlagsFromString('--no-expose-gc');
		}
	}
	collect?.(type === 'minor' ? {type, execution: 'sync'} : undefined);
}

/**
 * Makes the V8 heap of this process (or worker thread) give back what a burst of connections took
 * once it is over, so that the server is back to its idle RSS within seconds.
 *
 * Two causes, measured after 5 s of connect-and-reset churn (bench/churn-rss.ts): V8's young
 * generation grows from 1 to 16 MB per semi-space under allocation and is shrunk only at a
 * collection that sees a low allocation rate (none comes while nothing allocates), and the old
 * generation keeps the garbage promoted during the burst until its next full collection, which an
 * idle server never reaches. So once the event loop has been under 5% busy for CHECK_MS while the
 * heap is 10% above what the last collection left, MINOR_ROUNDS young-generation collections STEP_MS
 * apart shrink the young generation, and full ones (gc() with no argument: see Collect) give the old
 * generation's garbage back (V8's memory reducer, which also compacts, due 0.1 s after the first instead of 8 s: an int flag, set back
 * to its default at once, so the flag hash is restored).
 * Nothing runs while the process is busy, and once the young generation is back (or after
 * MAX_MISSES spells) nothing more until the heap grows again.
 * No V8 flag stays set (see gc). Returns the function that stops it.
 */
export function collectWhenQuiet(): () => void {
	let floor = getHeapStatistics().total_heap_size;
	const idleYoung = young();
	let misses = 0;
	let last = performance.eventLoopUtilization();
	let spell: NodeJS.Timeout | undefined;
	const timer = setInterval(() => {
		const now = performance.eventLoopUtilization();
		const busy = performance.eventLoopUtilization(now, last).utilization;
		last = now;
		const heap = getHeapStatistics().total_heap_size;
		floor = Math.min(floor, heap);
		if (spell || busy > QUIET_UTILIZATION || heap <= floor * GROWTH + SLACK_BYTES) return;
		let rounds = 0;
		spell = setInterval(() => {
			if (++rounds === MINOR_ROUNDS + 1)
				setFlagsFromString('--gc-memory-reducer-start-delay-ms=100');
			gc(rounds <= MINOR_ROUNDS ? 'minor' : 'major');
			if (rounds === MINOR_ROUNDS + 1)
				setFlagsFromString('--gc-memory-reducer-start-delay-ms=8000');
			if (rounds < MINOR_ROUNDS + MAJOR_ROUNDS) return;
			clearInterval(spell);
			spell = undefined;
			// Still allocating (a burst that keeps the loop idle): the next quiet check tries again.
			if (young() > 2 * idleYoung && ++misses < MAX_MISSES) return;
			misses = 0;
			floor = getHeapStatistics().total_heap_size;
		}, STEP_MS);
		spell.unref();
	}, CHECK_MS);
	timer.unref();
	return () => {
		clearInterval(timer);
		clearInterval(spell);
	};
}
