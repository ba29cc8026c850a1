import assert from 'node:assert/strict';
import net from 'node:net';
import {test} from 'node:test';
import {TestClient, type ClientErrorKind} from '../source/clients/test-client.js';
import {waitFor} from './helpers/net.js';

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
