import assert from 'node:assert/strict';
import {test} from 'node:test';
import {Controller} from '../source/controller.js';
import {parseOptions} from '../source/options.js';
import {ServerHost} from '../source/server/host.js';
import type {ModeName} from '../source/server/mode.js';
import type {ServerEvent} from '../source/protocol.js';
import {LineClient, sleep, waitFor} from './helpers/net.js';

async function startHost(mode: ModeName, handler: 'echo' | 'upper' = 'echo') {
	const events: ServerEvent[] = [];
	const host = new ServerHost({host: '127.0.0.1', port: 0, handler}, (event) => events.push(event));
	const port = await host.start(mode);
	return {host, port, events};
}

for (const mode of ['async', 'sequential'] as const) {
	test(`${mode}: echo returns the bytes unchanged, upper upper-cases ASCII`, async () => {
		const echo = await startHost(mode, 'echo');
		const upper = await startHost(mode, 'upper');
		try {
			const a = await LineClient.connect(echo.port);
			const bytes = Buffer.from([0x68, 0x69, 0x1b, 0x5b, 0x32, 0x4a, 0xff, 0x00, 0x0a]);
			assert.deepEqual(await a.ask(bytes), bytes);
			const b = await LineClient.connect(upper.port);
			assert.equal((await b.ask('hello, wörld\n')).toString(), 'HELLO, WöRLD\n');
			await Promise.all([a.close(), b.close()]);
		} finally {
			await Promise.all([echo.host.stop(), upper.host.stop()]);
		}
	});
}

test('async serves many clients at once', async () => {
	const {host, port} = await startHost('async');
	try {
		const clients = await Promise.all(Array.from({length: 50}, () => LineClient.connect(port)));
		const replies = await Promise.all(
			clients.map((client, index) => client.ask(`client ${index}\n`)),
		);
		replies.forEach((reply, index) => assert.equal(reply.toString(), `client ${index}\n`));
		await Promise.all(clients.map((client) => client.close()));
	} finally {
		await host.stop();
	}
});

test('sequential: the second client gets no reply, and is queued, until the first disconnects', async () => {
	const {host, port, events} = await startHost('sequential');
	try {
		const first = await LineClient.connect(port);
		assert.equal((await first.ask('one\n')).toString(), 'one\n');
		const second = await LineClient.connect(port);
		second.socket.write('two\n');
		const queued = await waitFor(
			() => events.find((event) => event.type === 'conn-open' && event.state === 'queued'),
			'the second connection to be queued',
		);
		await sleep(300);
		assert.equal(second.received.length, 0, 'a queued client must get nothing');
		assert.equal((await first.ask('still me\n')).toString(), 'still me\n');
		await first.close();
		await waitFor(
			() => second.received.toString() === 'two\n',
			'the queued message to be answered',
		);
		assert.ok(
			events.some(
				(event) => event.type === 'conn-serve' && event.id === (queued as {id: number}).id,
			),
		);
		await second.close();
	} finally {
		await host.stop();
	}
});

test('switching models with test clients connected ends with every client served again', async () => {
	const controller = new Controller(
		parseOptions({mode: 'sequential', port: '0', clients: '4', rate: '20'}),
		{tickMs: 100, rollMs: 500, procMs: 500, hostMs: 5000},
	);
	await controller.start();
	try {
		await waitFor(
			() =>
				controller.snapshot.connections.queued === 3 && controller.snapshot.clients.waiting === 3,
			'1 served, 3 queued',
		);
		const port = controller.port;
		await controller.dispatch({type: 'next-mode'});
		assert.equal(controller.snapshot.server.mode, 'async');
		assert.equal(controller.port, port, 'the server comes back on the same port');
		await waitFor(
			() => {
				const {connections, clients} = controller.snapshot;
				return (
					connections.active === 4 &&
					connections.queued === 0 &&
					clients.connected === 4 &&
					clients.waiting === 0
				);
			},
			'all four clients reconnected and answered',
			8000,
		);
		const rows = controller.snapshot.connections.rows;
		assert.ok(
			rows.every((row) => row.lastRttMs !== null),
			'every row has a measured round trip',
		);
	} finally {
		await controller.stop();
	}
});
