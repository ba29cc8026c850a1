import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {MetricsStore} from '../source/metrics/store.js';
import {QueuePanel} from '../source/ui/panels/queue.js';
import {SEQUENTIAL_SNAPSHOT} from './helpers/snapshots.js';
import {startHost} from './helpers/servers.js';

function lastLine(queue: Partial<(typeof SEQUENTIAL_SNAPSHOT)['queue']>): string {
	const {lastFrame, unmount} = render(
		<QueuePanel queue={{...SEQUENTIAL_SNAPSHOT.queue, ...queue}} width={25} />,
	);
	const lines = lastFrame()!.split('\n');
	unmount();
	return lines.at(-2)!;
}

test('the Queue panel says how many connections are stalled by clients that do not read', () => {
	assert.equal(lastLine({stalled: 0}), '│longest wait        15s│');
	assert.equal(lastLine({stalled: 3}), '│not reading   3 stalled│');
});

test('the Queue panel says why clients are refused: the fd limit, the memory budget, --max-connections', () => {
	assert.equal(
		lastLine({refusing: 'ulimit -n 512 (384 connections + headroom)', refusedTotal: 9}),
		'│refusing: ulimit -n 512│',
	);
	assert.equal(
		lastLine({refusing: '1205 threads (half the memory)', refusedTotal: 9}),
		'│refusing: 1205 threads │',
	);
	assert.equal(
		lastLine({refusing: '--max-connections 5', maxConnections: 5, atLimit: true, refusedTotal: 9}),
		'│limit 5: refusing (9)  │',
	);
});

test('the store counts stalled connections until they drain or close, and logs each stall', () => {
	const store = new MetricsStore({host: '127.0.0.1', port: 1, handler: 'echo'});
	const by = {kind: 'main'} as const;
	for (const id of [1, 2]) {
		store.apply({type: 'conn-open', id, peer: `127.0.0.1:${id}`, state: 'active', by, at: 1});
	}
	store.apply({type: 'stall', id: 1, stalled: true, at: 2});
	store.apply({type: 'stall', id: 2, stalled: true, at: 2});
	store.apply({type: 'stall', id: 9, stalled: true, at: 2});
	const stalled = () => store.snapshot({offset: 0, limit: 5}).queue.stalled;
	assert.equal(stalled(), 2, 'an unknown connection is not counted');
	store.apply({type: 'stall', id: 1, stalled: false, at: 3});
	store.apply({type: 'stall', id: 1, stalled: true, at: 4});
	assert.equal(stalled(), 2);
	store.apply({type: 'conn-close', id: 2, at: 5});
	assert.equal(stalled(), 1);
	const logged = store
		.snapshot({offset: 0, limit: 5})
		.events.filter((line) => /does not read its replies/.test(line.text));
	assert.equal(logged.length, 3);
});

test('the Queue panel shows the worker budget of thread and process per client all the time, not only while refusing', async () => {
	const cases = [
		['thread', {}, /budget +\d+ threads/],
		['process', {}, /budget +\d+ children/],
		['thread', {maxWorkers: 3}, /budget +3 threads/],
		['async', {}, /pool queue +0/],
	] as const;
	for (const [mode, settings, expected] of cases) {
		const {host, port, events} = await startHost(mode, 'echo', settings);
		try {
			const store = new MetricsStore({host: '127.0.0.1', port, handler: 'echo'});
			for (const event of events) store.apply(event);
			const {queue} = store.snapshot({offset: 0, limit: 0});
			assert.equal(queue.refusing, null);
			const {lastFrame, unmount} = render(<QueuePanel queue={queue} width={25} />);
			assert.match(lastFrame()!, expected, `${mode} ${JSON.stringify(settings)}`);
			unmount();
		} finally {
			await host.stop();
		}
	}
});
