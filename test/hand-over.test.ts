import assert from 'node:assert/strict';
import {once} from 'node:events';
import net, {type Socket} from 'node:net';
import {test} from 'node:test';
import type {ChildCommand, ChildReport} from '../source/server/protocol.js';
import {forkChild, handOver} from '../source/server/serving-child.js';
import {DEFAULT_SETTINGS} from '../source/server/settings.js';
import {waitFor} from './helpers/net.js';

/** A server on port 0 that accepts paused, as cluster's dealer and process per client do. */
async function pausedServer(): Promise<{server: net.Server; port: number; accepted: Socket[]}> {
	const accepted: Socket[] = [];
	const server = net.createServer({pauseOnConnect: true}, (socket) => accepted.push(socket));
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	return {server, port: (server.address() as net.AddressInfo).port, accepted};
}

/**
 * A child that ends before it took what it was sent: the clients it was handed must be closed, not
 * held open by this process and served by no one. With Node's own hand-over (no keepOpen), the first
 * socket stays in Node's pending message until an acknowledgement that never comes, and the second
 * stays queued behind it: both clients wait for ever (this test failed so on a plain `child.send`).
 */
test('sockets handed to a child that ends before taking them are closed, the written and the queued', async () => {
	const {server, port, accepted} = await pausedServer();
	const child = forkChild();
	const clients = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
	try {
		// Stopped: it reads nothing and acknowledges nothing, as a child busy starting or being ended.
		await once(child, 'spawn');
		child.kill('SIGSTOP');
		for (const client of clients) client.on('error', () => {});
		const closed = clients.map((client) => once(client, 'close'));
		await waitFor(() => accepted.length === 2, 'two connections accepted');
		const written: Array<Error | null> = [];
		for (const socket of accepted) {
			handOver(child, {type: 'conn'}, socket, (error) => written.push(error));
		}
		// The first is written (the descriptor in flight), the second queued behind it.
		await waitFor(() => written.length === 1, 'the first hand-over written');
		assert.equal(written[0], null);
		child.kill('SIGKILL');
		await once(child, 'exit');
		await waitFor(
			() => clients.every((client) => client.readableEnded),
			() => `both clients to see their end: ${clients.map((client) => client.readableEnded)}`,
			5000,
		);
		// A client sees its connection end only once no process holds the server's side.
		await Promise.all(closed);
	} finally {
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
		for (const client of clients) client.destroy();
		server.close();
	}
});

test('a socket handed to a child that has already ended is closed at once, with an error', async () => {
	const {server, port, accepted} = await pausedServer();
	const child = forkChild();
	child.kill('SIGKILL');
	await once(child, 'exit');
	const client = net.connect(port, '127.0.0.1');
	client.on('error', () => {});
	const closed = once(client, 'close');
	try {
		await waitFor(() => accepted.length === 1, 'a connection accepted');
		let error: Error | null | undefined;
		handOver(child, {type: 'conn'}, accepted[0]!, (result) => {
			error = result;
		});
		assert.match(String(error?.message), /has ended/);
		await closed;
	} finally {
		client.destroy();
		server.close();
	}
});

/**
 * Our copy is closed as soon as the socket is written to the child: the connection must live on in
 * flight, with the bytes the client sent before and while it was in flight, for a child that takes
 * it late. The real serving child (round-robin cluster's), stopped while the socket is on its way.
 */
test('a socket handed over lives on in flight: a child that takes it late echoes every byte', async () => {
	const {server, port, accepted} = await pausedServer();
	const child = forkChild();
	const client = net.connect(port, '127.0.0.1');
	const connected = once(client, 'connect');
	try {
		const [first] = (await once(child, 'message')) as [ChildReport];
		assert.equal(first.type, 'ready');
		child.send({
			type: 'cluster',
			host: '127.0.0.1',
			port,
			handler: 'echo',
			settings: DEFAULT_SETTINGS,
			backlog: 0,
			size: 1,
			accept: 'round-robin',
		} satisfies ChildCommand);
		const [serving] = (await once(child, 'message')) as [ChildReport];
		assert.equal(serving.type, 'ready');
		let echoed = 0;
		client.on('data', (chunk: Buffer) => {
			echoed += chunk.length;
		});
		const errors: string[] = [];
		client.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message));
		await connected;
		client.write(Buffer.alloc(100_000, 'a'));
		await waitFor(() => accepted.length === 1, 'a connection accepted');
		child.kill('SIGSTOP');
		const written = await new Promise<Error | null>((resolve) =>
			handOver(child, {type: 'conn'}, accepted[0]!, resolve),
		);
		assert.equal(written, null);
		assert.ok(accepted[0]!.destroyed, 'our copy is closed once written');
		client.write(Buffer.alloc(300_000, 'b'));
		await new Promise((resolve) => setTimeout(resolve, 300));
		child.kill('SIGCONT');
		await waitFor(
			() => echoed === 400_000,
			() => `400000 bytes echoed, not ${echoed}`,
			10_000,
		);
		assert.deepEqual(errors, []);
	} finally {
		client.destroy();
		child.kill('SIGKILL');
		server.close();
	}
});
