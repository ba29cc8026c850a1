import net, {type Socket} from 'node:net';
import {once} from 'node:events';

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
	check: () => T | undefined | false | Promise<T | undefined | false>,
	what: string | (() => string),
	timeoutMs = 10_000,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value !== undefined && value !== false) return value;
		if (Date.now() > deadline)
			throw new Error(
				`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`,
			);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

/** A raw TCP client that collects every byte it receives: for byte-exact echo checks. */
export class ByteClient {
	readonly socket: Socket;
	received = Buffer.alloc(0);

	private constructor(socket: Socket) {
		this.socket = socket;
		socket.on('data', (chunk: Buffer) => {
			this.received = Buffer.concat([this.received, chunk]);
		});
		socket.on('error', () => {});
	}

	static async connect(port: number, host = '127.0.0.1'): Promise<ByteClient> {
		const socket = net.connect({port, host});
		await once(socket, 'connect');
		return new ByteClient(socket);
	}

	/** Sends `data` and waits until `expected` bytes in all have arrived. */
	async ask(data: string | Buffer, timeoutMs = 5000): Promise<Buffer> {
		const start = this.received.length;
		const bytes = Buffer.from(data);
		this.socket.write(bytes);
		await waitFor(() => this.received.length >= start + bytes.length, 'the reply', timeoutMs);
		return this.received.subarray(start, start + bytes.length);
	}

	async close(): Promise<void> {
		if (this.socket.destroyed) return;
		const closed = once(this.socket, 'close');
		this.socket.end();
		await closed;
	}
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A plain TCP echo server on 127.0.0.1, port 0, that knows its open connections. */
export type EchoServer = {
	readonly port: number;
	/** The connections open now. */
	readonly sockets: ReadonlySet<Socket>;
	/** Connections accepted since start. */
	readonly accepted: () => number;
	/** Closes the server and every connection. */
	readonly close: () => void;
};

export async function startEchoServer(): Promise<EchoServer> {
	const sockets = new Set<Socket>();
	let accepted = 0;
	const server = net.createServer((socket) => {
		accepted++;
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		socket.on('error', () => {});
		socket.pipe(socket);
	});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	return {
		port: (server.address() as net.AddressInfo).port,
		sockets,
		accepted: () => accepted,
		close: () => {
			for (const socket of sockets) socket.destroy();
			server.close();
		},
	};
}

/**
 * An echo server on 127.0.0.1, port 0, that holds the `late`-th line of each connection (and so
 * every line after it, in order) for `holdMs` before its reply: a server that stalls once.
 */
export async function stallingEchoServer(late: number, holdMs: number): Promise<net.Server> {
	const server = net.createServer((socket) => {
		socket.on('error', () => {});
		let lines = 0;
		let held: Promise<unknown> = Promise.resolve();
		socket.on('data', (chunk) => {
			for (const line of chunk.toString().split('\n').slice(0, -1)) {
				const stall = ++lines === late;
				held = held.then(async () => {
					if (stall) await sleep(holdMs);
					if (!socket.destroyed) socket.write(`${line}\n`);
				});
			}
		});
	});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	return server;
}
