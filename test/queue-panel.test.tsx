import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {MetricsStore} from '../source/metrics/store.js';
import {QueuePanel} from '../source/ui/panels/queue.js';
import {ConnectionsPanel} from '../source/ui/panels/connections.js';
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

test('the Queue panel shows the kernel accept queue against its backlog, the machine drops and the clients kept out', () => {
	const kernel = {
		backlog: 5,
		synSent: 7,
		synRetriesMax: 3,
		listenOverflows: 12,
		listenDrops: 14,
	};
	const pending = [1, 2].map((client) => ({
		client,
		local: `127.0.0.1:4000${client}`,
		where: 'not connected' as const,
		handshake: 'syn-sent' as const,
		sinceMs: 3500,
		synRetries: client + 1,
		retriesFrom: 'kernel' as const,
	}));
	const frame = (width: number, retriesFrom: 'kernel' | 'derived' = 'kernel') => {
		const {lastFrame, unmount} = render(
			<QueuePanel
				queue={{...SEQUENTIAL_SNAPSHOT.queue, acceptQueue: 6, kernel}}
				clients={{...SEQUENTIAL_SNAPSHOT.clients, connecting: 7}}
				pending={pending.map((row) => ({...row, retriesFrom}))}
				width={width}
			/>,
		);
		const text = lastFrame()!;
		unmount();
		return text;
	};
	const wide = frame(33);
	assert.match(wide, /│kernel accept q 6\/6 \(backlog 5\)│/);
	assert.match(wide, /│host listen ovf\/drop +12\/14│/);
	assert.match(wide, /│not connected +7 SYN×3│/);
	// The dashboard's 80 columns: shorter forms, the same figures.
	const narrow = frame(23);
	assert.match(narrow, /│accept {2}6\/6 backlog 5│/);
	assert.match(narrow, /│host ovf\/drop {3}12\/14│/);
	assert.match(narrow, /│not connected 7 SYN×3│/);
	assert.match(frame(23, 'derived'), /│no SYN-ACK +7 SYN×~3│/);
});

test('the Connections panel lists the test clients the server has not accepted, each where it waits', () => {
	const rows = [
		{
			client: 3,
			local: '127.0.0.1:40003',
			where: 'kernel queue' as const,
			handshake: null,
			sinceMs: 2000,
			synRetries: null,
			retriesFrom: null,
		},
		{
			client: 9,
			local: '127.0.0.1:40009',
			where: 'not connected' as const,
			handshake: 'syn-sent' as const,
			sinceMs: 3500,
			synRetries: 3,
			retriesFrom: 'kernel' as const,
		},
		{
			client: 10,
			local: '127.0.0.1:40010\u001b[2J',
			where: 'not connected' as const,
			handshake: 'half-open' as const,
			sinceMs: 3500,
			synRetries: null,
			retriesFrom: null,
		},
	];
	const {lastFrame, unmount} = render(
		<ConnectionsPanel
			connections={{...SEQUENTIAL_SNAPSHOT.connections, pending: rows}}
			width={100}
			rows={8}
			notAccepted={{inKernelQueue: 1, notConnected: 2}}
		/>,
	);
	const text = lastFrame()!;
	unmount();
	assert.match(text, /1 in kernel queue · 2 not connected/);
	assert.match(text, /c3 127\.0\.0\.1:40003 +kernel queue \(connected, not accepted\), 2\.0s/);
	assert.match(text, /c9 127\.0\.0\.1:40009 +not connected: SYN retried 3, 3\.5s/);
	assert.match(text, /not connected: half-open, its ACK dropped at the full queue/);
	assert.ok(!text.includes('\u001b[2J'), 'an address is shown inert');
});
