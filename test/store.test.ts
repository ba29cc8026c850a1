import assert from 'node:assert/strict';
import {test} from 'node:test';
import {HISTORY_SECONDS, MetricsStore} from '../source/metrics/store.js';

const MAIN = {kind: 'main'} as const;
const identity = {host: '127.0.0.1', port: 9, handler: 'echo'};

test('rates cover the period since the last roll', () => {
	const store = new MetricsStore(identity, 0);
	store.apply({type: 'conn-open', id: 1, peer: 'a', state: 'active', by: MAIN, at: 0});
	store.apply({type: 'traffic', deltas: [[1, 1000, 1000, 10, 10, 1]]});
	store.roll(2000);
	const snapshot = store.snapshot({offset: 0, limit: 10}, 2000);
	assert.equal(snapshot.traffic.messagesInPerSec, 5);
	assert.equal(snapshot.traffic.bytesOutPerSec, 500);
	assert.equal(snapshot.traffic.messagesTotal, 10);
	assert.equal(snapshot.connections.rows[0]?.bytesIn, 1000);
	store.roll(3000);
	assert.equal(store.snapshot({offset: 0, limit: 10}, 3000).traffic.messagesInPerSec, 0);
});

test('history keeps one entry a second, at most a minute', () => {
	const store = new MetricsStore(identity, 0);
	for (let second = 1; second <= HISTORY_SECONDS + 5; second++) {
		store.apply({type: 'traffic', deltas: [[99, 0, 0, second, second, 1]]});
		store.roll(second * 1000);
	}
	const {history} = store.snapshot({offset: 0, limit: 0}, 70_000).traffic;
	assert.equal(history.length, HISTORY_SECONDS);
	assert.equal(history[0], 6);
	assert.equal(history.at(-1), HISTORY_SECONDS + 5);
});

test('round-trip percentiles come from the client samples of the last period', () => {
	const store = new MetricsStore(identity, 0);
	const rttMicros = Array.from({length: 100}, (_, index) => (index + 1) * 1000);
	store.applyClients({type: 'report', clients: [], rttMicros});
	store.roll(1000);
	const {latency} = store.snapshot({offset: 0, limit: 0}, 1000);
	assert.equal(latency.samples, 100);
	assert.ok(Math.abs(latency.p50Ms! - 50) <= 1, `p50 ${latency.p50Ms}`);
	assert.ok(Math.abs(latency.p99Ms! - 99) <= 1, `p99 ${latency.p99Ms}`);
	store.roll(2000);
	assert.equal(store.snapshot({offset: 0, limit: 0}, 2000).latency.p50Ms, null);
});

test('queued connections count as waiting until served, and the longest wait is kept', () => {
	const store = new MetricsStore(identity, 0);
	store.apply({type: 'conn-open', id: 1, peer: 'a', state: 'active', by: MAIN, at: 0});
	store.apply({type: 'conn-open', id: 2, peer: 'b', state: 'queued', by: MAIN, at: 100});
	let snapshot = store.snapshot({offset: 0, limit: 10}, 1100);
	assert.deepEqual([snapshot.connections.active, snapshot.connections.queued], [1, 1]);
	assert.equal(snapshot.queue.oldestWaitMs, 1000);
	store.apply({type: 'conn-close', id: 1, at: 2100});
	store.apply({type: 'conn-serve', id: 2, by: MAIN, at: 2100});
	snapshot = store.snapshot({offset: 0, limit: 10}, 5000);
	assert.deepEqual([snapshot.connections.active, snapshot.connections.queued], [1, 0]);
	assert.equal(snapshot.queue.longestWaitMs, 2000);
	assert.equal(snapshot.connections.rows[0]?.waitMs, 2000);
});

test('a snapshot holds only the window of rows asked for, in id order', () => {
	const store = new MetricsStore(identity, 0);
	for (let id = 1; id <= 1000; id++) {
		store.apply({type: 'conn-open', id, peer: `p${id}`, state: 'active', by: MAIN, at: 0});
	}
	const page = store.snapshot({offset: 10, limit: 5}, 0);
	assert.deepEqual(
		page.connections.rows.map((row) => row.id),
		[11, 12, 13, 14, 15],
	);
	const end = store.snapshot({offset: Number.MAX_SAFE_INTEGER, limit: 5}, 0);
	assert.equal(end.connections.offset, 995);
	assert.deepEqual(
		end.connections.rows.map((row) => row.id),
		[996, 997, 998, 999, 1000],
	);
});

test("a client's round trip shows on the connection whose peer is the client's local end", () => {
	const store = new MetricsStore(identity, 0);
	store.apply({type: 'conn-open', id: 7, peer: '127.0.0.1:5000', state: 'active', by: MAIN, at: 0});
	store.applyClients({
		type: 'report',
		clients: [
			{
				id: 1,
				local: '127.0.0.1:5000',
				phase: 'answered',
				lastRttMs: 1.5,
				connectedAt: 0,
				firstReplyMs: 2,
			},
		],
		rttMicros: [],
	});
	assert.equal(store.snapshot({offset: 0, limit: 1}, 0).connections.rows[0]?.lastRttMs, 1.5);
});

test('the event log is bounded', () => {
	const store = new MetricsStore(identity, 0);
	for (let id = 1; id <= 500; id++) {
		store.apply({type: 'conn-open', id, peer: 'x', state: 'active', by: MAIN, at: id});
	}
	const {events} = store.snapshot({offset: 0, limit: 0}, 0);
	// The last 100: what the `e` view scrolls back through.
	assert.equal(events.length, 100);
	assert.match(events.at(-1)!.text, /#500 x connected/);
});

test('sorted views: largest first, ties in arrival order; filters match peer, state and handler', () => {
	const store = new MetricsStore(identity, 0);
	for (let id = 1; id <= 5; id++) {
		const state = id % 2 === 0 ? 'queued' : 'active';
		store.apply({type: 'conn-open', id, peer: `10.0.0.${id}:80`, state, by: MAIN, at: 0});
	}
	store.apply({
		type: 'traffic',
		deltas: [
			[3, 300, 0, 0, 0, 1],
			[5, 500, 0, 0, 0, 1],
			[1, 300, 0, 0, 0, 1],
		],
	});
	const ids = (window: Parameters<MetricsStore['snapshot']>[0]) =>
		store.snapshot(window, 0).connections.rows.map((row) => row.id);
	assert.deepEqual(ids({offset: 0, limit: 10, sort: 'in'}), [5, 1, 3, 2, 4]);
	assert.deepEqual(ids({offset: 0, limit: 10, sort: 'state'}), [2, 4, 1, 3, 5]);
	assert.deepEqual(ids({offset: 0, limit: 10, filter: 'queued'}), [2, 4]);
	assert.deepEqual(ids({offset: 0, limit: 10, filter: '10.0.0.3'}), [3]);
	const filtered = store.snapshot({offset: 0, limit: 10, filter: 'main'}, 0).connections;
	assert.equal(filtered.matching, 5);
});

test('a sorted view keeps its order for a second while values change', () => {
	const store = new MetricsStore(identity, 0);
	for (let id = 1; id <= 3; id++) {
		store.apply({type: 'conn-open', id, peer: `p${id}`, state: 'active', by: MAIN, at: 0});
	}
	store.apply({type: 'traffic', deltas: [[2, 100, 0, 0, 0, 1]]});
	const ids = (now: number) =>
		store.snapshot({offset: 0, limit: 10, sort: 'in'}, now).connections.rows.map((row) => row.id);
	assert.deepEqual(ids(0), [2, 1, 3]);
	store.apply({type: 'traffic', deltas: [[3, 1000, 0, 0, 0, 1]]});
	store.apply({type: 'conn-open', id: 4, peer: 'p4', state: 'active', by: MAIN, at: 0});
	assert.deepEqual(ids(500), [2, 1, 3, 4], 'no jump within the second; the new one at the end');
	assert.deepEqual(ids(1500), [3, 2, 1, 4], 're-sorted after a second');
});

test('every event line reaches a log listener, however many arrive between snapshots', () => {
	const store = new MetricsStore(identity, 0);
	const lines: string[] = [];
	const stop = store.onLog((line) => lines.push(line.text));
	for (let id = 1; id <= 500; id++) {
		store.apply({type: 'conn-open', id, peer: 'x', state: 'active', by: MAIN, at: id});
	}
	stop();
	store.apply({type: 'conn-close', id: 1, at: 600});
	assert.equal(lines.length, 500);
	assert.match(lines[0]!, /#1 x connected/);
	assert.match(lines.at(-1)!, /#500 x connected/);
});
