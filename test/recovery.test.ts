/**
 * Refusal past --max-workers (the budget's arithmetic: model-facts.test.ts), and recovery from a
 * storm of connect-and-reset: once it stops, every model is back to its idle threads, children and RSS (within 10%) and answers again
 * within 5 s, with the server in a process of its own (bench/churn-rss.ts measures both placements).
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {cachedDataVersionTag, getHeapSpaceStatistics} from 'node:v8';
import {MODE_NAMES} from '../source/server/mode.js';
import {collectWhenQuiet} from '../source/server/quiet-gc.js';
import {churn} from '../bench/churn-rss.js';
import {childPids, startServerProcess, threadCount, treeRss} from './helpers/servers.js';
import {ByteClient, sleep, waitFor} from './helpers/net.js';

const MB = 2 ** 20;

const space = (name: string) => getHeapSpaceStatistics().find((each) => each.space_name === name)!;
const newSpace = () => space('new_space').space_size;
const oldUsed = () => space('old_space').space_used_size;

/**
 * A V8 flag left set changes V8's flag hash (which cachedDataVersionTag includes): every worker
 * thread started afterwards refuses Node's built-in code cache and starts 1.5x slower. First in
 * this file: a heap already grown by the churn tests' clients would not count as growth.
 */
test('the collection after a burst gives back the young generation and the old garbage, and leaves no V8 flag set', async () => {
	const tag = cachedDataVersionTag();
	const stop = collectWhenQuiet();
	try {
		const before = oldUsed();
		// Kept through the burst's young collections, so promoted: old garbage once dropped.
		let old: unknown[] | undefined = [];
		let kept: unknown[] = [];
		const end = Date.now() + 1000;
		while (Date.now() < end) {
			kept = Array.from({length: 1000}, (_, i) => ({i, text: `${i}`}));
			if (old.length < 200_000) old.push(...kept);
		}
		assert.ok(kept.length > 0 && newSpace() >= 8 * MB, `young generation ${newSpace() / MB} MB`);
		assert.ok(oldUsed() >= before + 5 * MB, `old generation ${(oldUsed() - before) / MB} MB more`);
		old = undefined;
		await waitFor(
			() => newSpace() <= 2 * MB && oldUsed() <= before + 2 * MB,
			() =>
				`young generation ${newSpace() / MB} MB, old ${(oldUsed() - before) / MB} MB above before`,
			5000,
		);
		assert.equal(cachedDataVersionTag(), tag);
	} finally {
		stop();
	}
});

for (const mode of ['thread', 'process'] as const) {
	test(`${mode}: beyond --max-workers connections are refused, with the reason as an event and in the log`, async () => {
		const {runner, events, port} = await startServerProcess(mode, {maxWorkers: 2});
		try {
			const kept = [await ByteClient.connect(port), await ByteClient.connect(port)];
			for (const client of kept)
				assert.equal((await client.ask('hi\n', 10_000)).toString(), 'hi\n');
			const extra = await ByteClient.connect(port);
			await waitFor(() => extra.socket.destroyed, 'the third connection to be closed');
			const refused = events.find((event) => event.type === 'refused');
			assert.ok(refused?.type === 'refused');
			assert.equal(refused.limit, 2);
			assert.match(refused.why, /--max-workers 2/);
			assert.ok(
				events.some((event) => event.type === 'log' && /--max-workers raises it/.test(event.text)),
			);
			await Promise.all(kept.map((client) => client.close()));
		} finally {
			await runner.stop();
		}
	});
}

async function answers(port: number): Promise<boolean> {
	try {
		const client = await ByteClient.connect(port);
		const ok = (await client.ask('ping\n', 1000)).toString() === 'ping\n';
		client.socket.destroy();
		return ok;
	} catch {
		return false;
	}
}

/**
 * RSS after the churn may be at most 10% above idle. Idle is taken after a short
 * warm-up of the same churn: the first connections compile the server's code paths and fault in
 * the node binary's pages (3-5 MB a process, kept because they are in use), which is not growth.
 * Measured 5 s after the churn (`node dist/bench/churn-rss.js worker all 5 1`): 0.89-1.01. Without
 * the quiet collection's full collections (Node 20's gc({type: 'major'}) does nothing) 1.06-1.18.
 */
const RSS_RATIO = 1.1;

for (const mode of MODE_NAMES) {
	test(`${mode}: after 5 s of connect-and-reset churn, threads, children and RSS are back to idle and it answers within 5 s`, async (t) => {
		const {runner, port, pid} = await startServerProcess(mode);
		try {
			// Taken before any client (with process per client's spares all started: the helper
			// waits for them): process per client's answer has a child of its own for a while.
			const threads = threadCount(pid);
			const children = childPids(pid).length;
			// Exactly as many children: the spares a storm took are started again, and no more.
			// Cluster's round-robin dealer forks a short-lived listener-copies helper at start, which
			// the first count may have caught: its children come back to at most that count.
			const idleWorkers = () =>
				threadCount(pid) <= threads + 1 &&
				(mode === 'cluster'
					? childPids(pid).length <= children
					: childPids(pid).length === children);
			assert.ok(await answers(port));
			await churn(port, 1000, 30);
			await waitFor(idleWorkers, 'the warm-up to end', 10_000);
			// After the quiet collection of the warm-up's garbage (it ends 2-3 s into the quiet).
			await sleep(4000);
			const idle = treeRss(pid);
			const count = await churn(port, 5000, 30);
			const stoppedAt = Date.now();
			/** Read before the answer: process per client's answer has a child of its own. */
			let rss = 0;
			await waitFor(
				async () => {
					rss = treeRss(pid);
					return idleWorkers() && rss <= idle * RSS_RATIO && (await answers(port));
				},
				() =>
					`idle figures (threads ${threadCount(pid)}, was ${threads}; children ${childPids(pid).length}, was ${children}; RSS ${(rss / MB).toFixed(1)} MB, was ${(idle / MB).toFixed(1)}) and an answer`,
				5000,
			);
			t.diagnostic(
				`${count} connections; back after ${Date.now() - stoppedAt} ms; RSS ${(idle / MB).toFixed(1)} → ${(rss / MB).toFixed(1)} MB`,
			);
		} finally {
			await runner.stop();
		}
	});
}
