/**
 * What each model costs and how it sizes itself, from its registry entry (source/server/modes/):
 * the worker budget, compare's memory figure, the pool formula and the bench's backlog.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {rowCost} from '../source/compare/budget.js';
import {parseOptions} from '../source/options/options.js';
import {
	MODE_NAMES,
	PROCESS_COST_BYTES,
	THREAD_COST_BYTES,
	workerBudget,
} from '../source/server/mode.js';
import {MODES} from '../source/server/modes/index.js';
import {hybridPoolSize} from '../source/server/modes/pool.js';
import {PROCESS_COST, SPARE_CHILDREN} from '../source/server/modes/process.js';
import {THREAD_COST, SPARE_THREADS} from '../source/server/modes/thread.js';

test('worker budget: the smallest of memory, cores and the fd limit; --max-workers replaces it', () => {
	const threads = workerBudget(THREAD_COST, null, null);
	assert.ok(threads.limit >= 1 && threads.limit <= 64 * 1024, `${threads.limit}`);
	assert.match(threads.why, /per core|GB/);
	// 150 fds less 128 of headroom: 5 per thread, 2 per child.
	const byFds = workerBudget(THREAD_COST, null, 150);
	assert.deepEqual(byFds, {limit: 4, what: 'threads', why: 'ulimit -n 150'});
	assert.equal(workerBudget(PROCESS_COST, null, 150).limit, 11);
	assert.deepEqual(workerBudget(PROCESS_COST, 500, 200), {
		limit: 500,
		what: 'child processes',
		why: '--max-workers 500',
	});
	assert.equal(parseOptions({maxWorkers: '3'}).maxWorkers, 3);
	assert.throws(() => parseOptions({maxWorkers: '0'}), /--max-workers must be a whole number/);
});

test('memory: what each model adds to its server, per client, by the pool and by the cores', () => {
	const machine = {poolSize: 10, cores: 2};
	for (const mode of ['sequential', 'async', 'reactor'] as const)
		assert.equal(MODES[mode].memory(100, machine), 0, `${mode}: no worker of its own`);
	assert.equal(MODES.thread.memory(3, machine), (3 + SPARE_THREADS) * THREAD_COST_BYTES);
	assert.equal(MODES.process.memory(3, machine), (3 + SPARE_CHILDREN) * PROCESS_COST_BYTES);
	assert.equal(MODES.pool.memory(3, machine), 10 * THREAD_COST_BYTES);
	assert.equal(MODES.hybrid.memory(3, machine), 6 * THREAD_COST_BYTES);
	assert.equal(MODES.cluster.memory(3, machine), 2 * PROCESS_COST_BYTES);
	// compare's row: the server and client processes, the connections, and the model's own.
	const plan = {kind: 'model', name: 'thread', mode: 'thread'} as const;
	assert.equal(
		rowCost(plan, 3, machine) - rowCost({...plan, name: 'async', mode: 'async'}, 3, machine),
		MODES.thread.memory(3, machine),
	);
});

test('pool formula: only hybrid sizes its own pool, min(50, cores + 4), and its summary says so', () => {
	const fixed = MODE_NAMES.filter((mode) => MODES[mode].fixedPool);
	assert.deepEqual(fixed, ['hybrid']);
	const pool = MODES.hybrid.fixedPool!;
	assert.equal(pool.formula, 'min(50, cores + 4)');
	assert.deepEqual([1, 2, 8, 46, 64].map(pool.size), [5, 6, 12, 50, 50]);
	assert.ok(MODES.hybrid.summary.includes(pool.formula), MODES.hybrid.summary);
	assert.ok(hybridPoolSize() >= 5 && hybridPoolSize() <= 50, String(hybridPoolSize()));
});

test("bench backlog: every model has one the kernel can give, sequential keeps the tutorial's", () => {
	for (const mode of MODE_NAMES) {
		const {benchBacklog} = MODES[mode];
		assert.ok(Number.isInteger(benchBacklog) && benchBacklog >= 1 && benchBacklog <= 4096, mode);
	}
	assert.equal(MODES.sequential.benchBacklog, MODES.sequential.backlog);
});
