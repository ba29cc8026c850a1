import assert from 'node:assert/strict';
import {test} from 'node:test';
import {ClientFleet} from '../source/clients/fleet.js';
import type {ClientReport} from '../source/server/protocol.js';
import {stepMs} from '../source/server/settings.js';
import {MetricsStore} from '../source/metrics/store.js';
import {parseOptions} from '../source/options/options.js';
import {UsageError} from '../source/options/values.js';
import {LineClient, startHost} from './helpers/servers.js';
import {waitFor} from './helpers/net.js';

test('--max-connections: at the limit new connections are refused, and the refusal is an event', async () => {
	const {host, port, events} = await startHost('async', 'echo', {maxConnections: 2});
	try {
		const kept = [await LineClient.connect(port), await LineClient.connect(port)];
		for (const client of kept) assert.equal(await client.ask('in'), 'in');
		const third = await LineClient.connect(port);
		await third.closed;
		assert.equal(events.filter((event) => event.type === 'refused').length, 1);
		// Below the limit again, a new client is let in.
		await kept[0]!.close();
		await waitFor(
			() => events.some((event) => event.type === 'conn-close'),
			() => 'no close event',
		);
		const fourth = await LineClient.connect(port);
		assert.equal(await fourth.ask('now'), 'now');
		host.configure({maxConnections: null});
		await Promise.all([kept[1]!.close(), fourth.close()]);
	} finally {
		await host.stop();
	}
});

test('--max-connections in cluster: each child takes its share across all its accept handles, and refuses beyond it', async () => {
	// Two children (one a core here), a share of 2 each: at most 4 served, whatever handle accepted them.
	const {host, port, events} = await startHost('cluster', 'echo', {maxConnections: 4});
	const clients: LineClient[] = [];
	try {
		let closed = 0;
		for (let i = 0; i < 12; i++) {
			const client = await LineClient.connect(port);
			void client.closed.then(() => closed++);
			clients.push(client);
		}
		const count = (type: string) => events.filter((event) => event.type === type).length;
		await waitFor(
			() => count('conn-open') + count('refused') === 12,
			() => `${count('conn-open')} served, ${count('refused')} refused`,
		);
		assert.ok(count('conn-open') <= 4, `${count('conn-open')} served`);
		assert.ok(count('conn-open') >= 2, 'each child serves its share');
		// Every refused client is closed by the server; the served ones stay open.
		await waitFor(
			() => closed === count('refused'),
			() => `${closed} closed, ${count('refused')} refused`,
		);
		const served = clients.filter((client) => !client.socket.destroyed);
		assert.equal(served.length, count('conn-open'));
		for (const client of served) assert.equal(await client.ask('in'), 'in');
	} finally {
		await Promise.all(clients.map((client) => client.close()));
		await host.stop();
	}
});

test('work and delay per message: replies keep their order and take the time asked for', async () => {
	const {host, port} = await startHost('reactor', 'upper', {delayMs: 30});
	try {
		const client = await LineClient.connect(port);
		const started = Date.now();
		client.send('a');
		client.send('b');
		assert.equal(await client.next(), 'A');
		assert.equal(await client.next(), 'B');
		assert.ok(Date.now() - started >= 55, 'two messages, 30 ms each');
		host.configure({delayMs: 0, workMs: 20});
		const before = Date.now();
		assert.equal(await client.ask('c'), 'C');
		assert.ok(Date.now() - before >= 19);
		await client.close();
	} finally {
		await host.stop();
	}
});

test('the store counts each wait place, workers and output queues on their own', () => {
	const store = new MetricsStore({host: '127.0.0.1', port: 1, handler: 'echo'}, 0);
	const thread = {kind: 'thread', id: 7} as const;
	store.apply({
		type: 'worker-up',
		worker: thread,
		mode: 'pool',
		connection: null,
		startupMs: 25,
		at: 0,
	});
	store.apply({type: 'conn-open', id: 1, peer: 'a', state: 'active', by: thread, at: 0});
	store.apply({type: 'worker-busy', worker: thread, connection: 1, at: 0});
	store.apply({
		type: 'conn-open',
		id: 2,
		peer: 'b',
		state: 'queued',
		by: {kind: 'main'},
		waitIn: 'pool',
		at: 0,
	});
	store.apply({
		type: 'conn-open',
		id: 3,
		peer: 'c',
		state: 'queued',
		by: {kind: 'main'},
		waitIn: 'line',
		at: 0,
	});
	store.apply({
		type: 'output-queues',
		sockets: 1,
		bytes: 10,
		messages: 2,
		top: [[1, 10, 2]],
		at: 0,
	});
	let snapshot = store.snapshot({offset: 0, limit: 10}, 100);
	assert.deepEqual([snapshot.queue.pool, snapshot.queue.line, snapshot.queue.waiting], [1, 1, 2]);
	assert.deepEqual(snapshot.workers, {
		threads: 1,
		processes: 0,
		busy: 1,
		rows: [
			{worker: thread, mode: 'pool', connection: 1, connections: 1, ageMs: 100, startupMs: 25},
		],
	});
	assert.deepEqual(snapshot.queue.output.top, [{id: 1, bytes: 10, messages: 2}]);
	store.apply({type: 'conn-serve', id: 2, by: thread, at: 50});
	store.apply({
		type: 'worker-down',
		worker: thread,
		mode: 'pool',
		reason: 'exit 1',
		expected: false,
		at: 60,
	});
	snapshot = store.snapshot({offset: 0, limit: 10}, 100);
	assert.equal(snapshot.queue.pool, 0);
	assert.equal(snapshot.workers.threads, 0);
	assert.equal(snapshot.workers.busy, 0);
	assert.ok(
		snapshot.events.some(
			(line) => line.level === 'warn' && line.text === 'thread #7 died (exit 1)',
		),
	);
});

test('options: new flags are checked with one-line messages', () => {
	const options = parseOptions({
		poolSize: '4',
		workMs: '5',
		delayMs: '10',
		placement: 'worker',
		maxConnections: '50',
	});
	assert.deepEqual(
		[options.poolSize, options.workMs, options.delayMs, options.placement, options.maxConnections],
		[4, 5, 10, 'worker', 50],
	);
	assert.equal(parseOptions({}).maxConnections, null);
	assert.throws(
		() => parseOptions({poolSize: '0'}),
		new UsageError('--pool-size must be a whole number from 1 to 1000 (got "0")'),
	);
	assert.throws(
		() => parseOptions({placement: 'cloud'}),
		/--placement must be one of in-process, worker \(got "cloud"\)/,
	);
	assert.throws(
		() => parseOptions({workMs: '-1'}),
		/--work-ms must be a whole number from 0 to 10000/,
	);
	assert.throws(
		() => parseOptions({maxConnections: '0'}),
		/--max-connections must be a whole number from 1/,
	);
	assert.deepEqual(
		[
			stepMs(0, 1, 1000),
			stepMs(5, 1, 1000),
			stepMs(5, -1, 1000),
			stepMs(0, -1, 1000),
			stepMs(1000, 1, 1000),
		],
		[1, 10, 2, 0, 1000],
	);
});

test('one cap on test clients for every source: asks beyond it are cut, and the cut is reported', async () => {
	const {host, port} = await startHost('async');
	let last: ClientReport | undefined;
	const fleet = new ClientFleet(
		() => ({host: '127.0.0.1', port}),
		1,
		{onReport: (report) => (last = report), onExit: () => {}},
		undefined,
		5,
	);
	try {
		// Three asks of 3, as a flag, a key and an observer would make them: 5 exist, 4 were cut.
		for (let i = 0; i < 3; i++) fleet.add(3);
		await waitFor(
			() => last?.clients.length === 5 && last.capped === 4,
			() => `5 clients and 4 cut (${last?.clients.length} and ${last?.capped})`,
		);
	} finally {
		await fleet.stop();
		await host.stop();
	}
});
