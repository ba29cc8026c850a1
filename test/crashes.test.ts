/**
 * Crashes the existing tests leave out (pool and process per client are in behaviour.test.ts,
 * the server process in placement.test.ts): a thread per client that throws, a hybrid pool thread,
 * and a cluster worker killed with SIGKILL. Each ends only its own connections, the event log
 * says so, and pools start a replacement.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import {test} from 'node:test';
import {MetricsStore} from '../source/metrics/store.js';
import type {ServerEvent} from '../source/server/protocol.js';
import {EchoServer} from '../source/server/echo-server.js';
import type {ModeName} from '../source/server/mode.js';
import {hybridPoolSize} from '../source/server/modes/pool.js';
import {LineClient} from './helpers/servers.js';
import {waitFor} from './helpers/net.js';

async function start(mode: ModeName) {
	const events: ServerEvent[] = [];
	const store = new MetricsStore({host: '127.0.0.1', port: 0, handler: 'upper'});
	const host = new EchoServer({host: '127.0.0.1', port: 0, handler: 'upper'}, (event) => {
		events.push(event);
		store.apply(event);
	});
	const port = await host.start(mode);
	const log = () =>
		store
			.snapshot({offset: 0, limit: 5})
			.events.map((line) => `${line.level} ${line.text}`)
			.join('\n');
	return {host, events, store, port, log};
}

const ups = (events: ServerEvent[]) => events.filter((event) => event.type === 'worker-up').length;

for (const mode of ['thread', 'hybrid', 'cluster'] as const) {
	test(`${mode}: a crashed worker ends only its own connections, the log says so${mode === 'thread' ? '' : ', and a replacement starts'}`, async () => {
		const {host, events, port, log} = await start(mode);
		try {
			const size = {thread: 0, hybrid: hybridPoolSize(), cluster: os.availableParallelism()}[mode];
			await waitFor(
				() => ups(events) >= size,
				() => 'the workers up',
			);
			const workersAtStart = ups(events);
			const clients = await Promise.all([1, 2, 3, 4].map(() => LineClient.connect(port)));
			for (const client of clients) assert.equal(await client.ask('hi'), 'HI');
			await waitFor(
				() => events.filter((event) => event.type === 'conn-open').length === 4,
				() => 'four connections',
			);
			host.crashWorker();
			await waitFor(
				() => clients.some((client) => client.isClosed),
				() => 'the crashed worker to take its connection',
			);
			await waitFor(
				() => events.some((event) => event.type === 'worker-down'),
				() => 'the worker-down event',
			);
			const down = events.find((event) => event.type === 'worker-down');
			assert.ok(down?.type === 'worker-down' && !down.expected, 'an unexpected worker-down');
			// In a cluster, one worker holds about half the connections; elsewhere exactly one.
			await new Promise((resolve) => setTimeout(resolve, 300));
			const lost = clients.filter((client) => client.isClosed);
			const kept = clients.filter((client) => !client.isClosed);
			if (mode === 'cluster') assert.ok(kept.length < 4 && lost.length >= 1);
			else assert.equal(lost.length, 1, 'one connection lost');
			for (const client of kept) assert.equal(await client.ask('still'), 'STILL');
			assert.match(
				log(),
				mode === 'cluster' ? /warn .*died.*SIGKILL|SIGKILL/ : /warn .*crashed on request/,
			);
			if (mode !== 'thread') {
				await waitFor(
					() => ups(events) === workersAtStart + 1,
					() => `a replacement worker (${ups(events)} up, ${workersAtStart} at start)`,
				);
				assert.match(log(), /starting a replacement/);
			}
			const late = await LineClient.connect(port);
			assert.equal(await late.ask('new'), 'NEW');
			await Promise.all([...kept, late].map((client) => client.close()));
		} finally {
			await host.stop();
		}
	});
}

test('pool: a thread that crashes while the pool shrinks is not said to be replaced', async () => {
	const {host, events, port, log} = await start('pool');
	try {
		const size = host.settings.poolSize;
		await waitFor(
			() => ups(events) >= size,
			() => `${size} threads up`,
		);
		const clients = await Promise.all(Array.from({length: size}, () => LineClient.connect(port)));
		for (const client of clients) assert.equal(await client.ask('hi'), 'HI');
		// Every thread busy: shrinking to 2 ends none of them yet.
		host.configure({poolSize: 2});
		const before = ups(events);
		host.crashWorker();
		await waitFor(
			() => events.some((event) => event.type === 'worker-down' && !event.expected),
			() => 'the crashed thread down',
		);
		await new Promise((resolve) => setTimeout(resolve, 500));
		assert.equal(ups(events), before, 'no thread started');
		assert.doesNotMatch(log(), /starting a replacement/);
		assert.match(log(), /crashed, not replaced: the pool is shrinking to 2/);
		await Promise.all(clients.map((client) => client.close()));
	} finally {
		await host.stop();
	}
});
