import {workerBudget, type ModeName, type WorkerBudget} from './mode.js';
import {THREAD_COST} from './modes/thread.js';
import {MODES} from './modes/index.js';

/**
 * The pool's threads obey the same worker budget as a thread per client:
 * `resize-pool +990` or `--pool-size 1000` started 1,022 threads, took up to 6.9 GB and left echo
 * and control unreachable for 13-17 s. The size is checked where it is chosen (the command line,
 * the controller's resize-pool, EchoServer.configure), not in the pool itself.
 */
export function poolBudget(maxWorkers: number | null | undefined): WorkerBudget {
	return workerBudget(THREAD_COST, maxWorkers);
}

/** Why a pool of `size` threads is refused under `--max-workers` `maxWorkers`, or null when it fits. */
export function poolSizeRefusal(
	size: number,
	maxWorkers: number | null | undefined,
): string | null {
	const budget = poolBudget(maxWorkers);
	if (size <= budget.limit) return null;
	// The address space is the process's own limit: --max-workers cannot raise it.
	const raise = budget.why.startsWith('ulimit -v') ? 'a larger ulimit -v' : '--max-workers';
	return `a pool of ${size} threads is over the worker budget of ${budget.limit} ${budget.what} (${budget.why}): ${raise} raises it`;
}

/**
 * Why `+`/`-` do nothing in `mode`, in one line that fits an 80-column bottom line; null in the
 * pool model, the one whose size they change. Outside it they used to change the size silently,
 * for a pool model started later.
 */
export function poolResizeRefusal(mode: ModeName): string | null {
	if (mode === 'pool') return null;
	const fixed = MODES[mode].fixedPool;
	if (fixed)
		return `${mode} keeps the tutorial's pool, ${fixed.formula}: +/- resize the pool model`;
	return `${mode} has no pool: + and - resize the pool model (key 4)`;
}
