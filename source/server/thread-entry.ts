/**
 * Entry point of a worker thread of the thread, pool and hybrid models: the tutorial's
 * `handle_client` thread. It is given a connection's descriptor and serves it with blocking reads
 * and writes until the client leaves (blocking-echo.ts), then waits for the next (pool) or is ended
 * (thread per client). Bundled alone as one CommonJS script: a thread starts for each client.
 */
import net from 'node:net';
import {parentPort, workerData} from 'node:worker_threads';
import type {ThreadCommand, ThreadReply} from './protocol.js';
import type {HandlerName} from './handler.js';
import {
	READ_SIZE,
	READS_PER_CALL,
	serveBlocking,
	type LoopEnd,
	sharedBlock,
	warmUp,
	IDLE,
	STATE,
	ASK,
	ASK_NOTHING,
	ASK_CRASH,
	STOPPING,
	LOCAL_PORT,
	REMOTE_PORT,
	READING,
} from './blocking-echo.js';
import {collectWhenQuiet} from './quiet-gc.js';

const port = parentPort;
if (!port) throw new Error('thread-entry must run in a worker thread');
const data = workerData as {
	handler: HandlerName;
	shared: SharedArrayBuffer;
	sample: string | null;
};
const upper = data.handler === 'upper';
const block = sharedBlock(data.shared);
const buffer = Buffer.allocUnsafe(READ_SIZE);
const warmUpMs = data.sample === null ? null : warmUp(upper, buffer, data.sample);
collectWhenQuiet();

function post(reply: ThreadReply): void {
	port!.postMessage(reply);
}

/** Serves one connection to its end; `done` tells the main thread, which may close it now. */
function serve(fd: number, id: number): void {
	let end: LoopEnd;
	do end = serveBlocking(fd, fd, -1, upper, block, buffer, READ_SIZE, READS_PER_CALL);
	while (end === 'limit');
	// Asked to crash while blocked: the read or write it was woken from ended the loop.
	if (Atomics.load(block.ints, ASK) === ASK_CRASH) throw new Error('crashed on request');
	Atomics.store(block.ints, STATE, IDLE);
	Atomics.store(block.ints, ASK, ASK_NOTHING);
	post({type: 'done', id, end: typeof end === 'string' ? end : end.error});
}

port.on('message', (command: ThreadCommand) => {
	switch (command.type) {
		case 'serve': {
			serve(command.fd, command.id);
			break;
		}
		case 'crash': {
			throw new Error('crashed on request');
		}
		case 'listen': {
			listen(command.host, command.port, command.backlog);
			break;
		}
		case 'unlisten': {
			listener?.close();
			listener = undefined;
			break;
		}
	}
});

let listener: net.Server | undefined;

/**
 * The tutorial's sequential server: `accept()`, then `handle_client()` to the end, in this thread.
 * The client is served inside the accept callback, blocking, so this thread's loop accepts no one
 * meanwhile: the next clients wait in the kernel's accept queue, and past its backlog their SYNs are
 * dropped, as with the tutorial's listen(5).
 */
function listen(host: string, port: number, backlog: number): void {
	const server = net.createServer({pauseOnConnect: true}, (socket) => {
		socket.on('error', () => {});
		if (Atomics.load(block.ints, STOPPING) === 1) {
			// Being ended: the clients still in the kernel's queue are reset with the listener.
			socket.destroy();
			server.close();
			return;
		}
		const handle = (socket as unknown as {_handle?: {fd: number; setBlocking(on: boolean): number}})
			._handle;
		if (!handle || handle.fd < 0 || socket.remotePort === undefined) {
			socket.destroy();
			return;
		}
		const bare = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
		post({
			type: 'accepted',
			peer: bare.includes(':') ? `[${bare}]:${socket.remotePort}` : `${bare}:${socket.remotePort}`,
			localPort: socket.localPort ?? port,
			remotePort: socket.remotePort,
		});
		socket.setNoDelay(true);
		handle.setBlocking(true);
		// Before the loop: the main thread may have to wake it before it has read `accepted`.
		Atomics.store(block.ints, LOCAL_PORT, socket.localPort ?? port);
		Atomics.store(block.ints, REMOTE_PORT, socket.remotePort);
		Atomics.store(block.ints, STATE, READING);
		serve(handle.fd, -1);
		socket.destroy();
	});
	listener = server;
	server.once('error', (error: NodeJS.ErrnoException) =>
		post({type: 'listen-failed', code: error.code ?? 'EINVAL', message: error.message}),
	);
	server.listen({host, port, backlog}, () => {
		server.on('error', () => {});
		post({type: 'listening', port: (server.address() as net.AddressInfo).port});
	});
}

post({type: 'ready', warmUpMs});
