import assert from 'node:assert/strict';
import net from 'node:net';
import {test} from 'node:test';
import {TestClient, type ClientErrorKind} from '../source/clients/test-client.js';
import {stallingEchoServer, waitFor} from './helpers/net.js';

async function listen(onSocket: (socket: net.Socket) => void): Promise<net.Server> {
	const server = net.createServer((socket) => {
		socket.on('error', () => {});
		onSocket(socket);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return server;
}

/** A client against `port` whose errors are collected. */
function client(port: number): {client: TestClient; errors: ClientErrorKind[]} {
	const errors: ClientErrorKind[] = [];
	const client = new TestClient(1, {host: '127.0.0.1', port}, Number.POSITIVE_INFINITY, () => {}, {
		onError: (kind) => errors.push(kind),
	});
	client.start();
	return {client, errors};
}

test('test client: a refused connect, a reset and a close by the server are each counted', async () => {
	const gone = await listen(() => {});
	const {port} = gone.address() as net.AddressInfo;
	await new Promise((resolve) => gone.close(resolve));
	const refused = client(port);
	await waitFor(() => refused.errors.includes('refused'), 'a refused connect');
	refused.client.stop();

	const resetting = await listen((socket) => socket.once('data', () => socket.resetAndDestroy()));
	const closing = await listen((socket) => socket.once('data', () => socket.end()));
	try {
		const reset = client((resetting.address() as net.AddressInfo).port);
		await waitFor(() => reset.errors.includes('reset'), 'a reset');
		reset.client.stop();
		const closed = client((closing.address() as net.AddressInfo).port);
		await waitFor(() => closed.errors.includes('closed'), 'a close');
		closed.client.stop();
		assert.ok(!closed.errors.includes('reset'));
	} finally {
		resetting.close();
		closing.close();
	}
});

test('test client: stop is not an error', async () => {
	const echo = await listen((socket) => socket.pipe(socket));
	try {
		const {client: one, errors} = client((echo.address() as net.AddressInfo).port);
		await new Promise((resolve) => setTimeout(resolve, 100));
		one.stop();
		await new Promise((resolve) => setTimeout(resolve, 100));
		assert.deepEqual(errors, []);
	} finally {
		echo.close();
	}
});

/** Round trips of one client against a server that holds its third reply back for `stallMs`. */
async function stalledRoundTrips(schedule: 'closed' | 'fixed', stallMs: number): Promise<number[]> {
	const server = await stallingEchoServer(3, stallMs);
	const millis: number[] = [];
	const one = new TestClient(
		1,
		{host: '127.0.0.1', port: (server.address() as net.AddressInfo).port},
		20,
		(micros) => millis.push(micros / 1000),
		{schedule},
	);
	one.start();
	try {
		await waitFor(() => millis.length >= 40, `40 round trips (${schedule})`, 30_000);
	} finally {
		one.stop();
		server.close();
	}
	return millis;
}

test('test client: a fixed rate times each message from when it was due, so a stall counts in every message it delayed', async () => {
	const stallMs = 1000;
	const closed = await stalledRoundTrips('closed', stallMs);
	const fixed = await stalledRoundTrips('fixed', stallMs);
	const slow = (millis: number[]) => millis.filter((ms) => ms >= 300).length;
	// 20 a second: the messages due in the first 700 ms of the stall waited 300 ms or more.
	assert.ok(slow(fixed) >= 10, `fixed rate: ${slow(fixed)} round trips of 300 ms or more`);
	// Closed loop: one message waited out the stall, the sends it held back were never due.
	assert.ok(closed.some((ms) => ms >= stallMs * 0.9));
	assert.ok(slow(closed) < slow(fixed), `closed ${slow(closed)}, fixed ${slow(fixed)}`);
});

test('test client: a message without its reply within the timeout is counted once', async () => {
	// Answers nothing: the first message never has a reply.
	const silent = await listen(() => {});
	let timeouts = 0;
	const one = new TestClient(
		1,
		{host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port},
		10,
		() => {},
		{messageTimeoutMs: 100, onMessageTimeout: () => timeouts++},
	);
	one.start();
	try {
		await waitFor(() => timeouts === 1, 'the first message timed out');
		// Still without a reply long after: it is not counted again.
		await new Promise((resolve) => setTimeout(resolve, 400));
		assert.equal(timeouts, 1);
	} finally {
		one.stop();
		silent.close();
	}
});
