/**
 * A prototype of the thread models without the message port: each worker thread accepts its own
 * connection from its own copy of the listening socket and echoes it itself, so no byte crosses a
 * port and every descriptor has one owner. Measure it from outside with the bench's `--target`:
 *
 *   npm run build && node dist/bench/worker-accept.js [threads=100]
 *   concurrency-top bench --modes pool --pool-size 100 --clients 100 --workloads echo --repeat 3 \
 *     --target 127.0.0.1:PORT [--warmup S]
 *
 * How the descriptors stay single-owner in Node 20: the main thread binds the socket without
 * listening (`net._createServerHandle`), so it never polls or accepts. Each worker spawns a
 * short-lived child that inherits that descriptor as its fd 4 (stdio) and sends it back COPIES times
 * over the worker's own IPC channel: each copy arrives as a new descriptor owned by the worker's
 * loop alone. A worker with no client listens on one copy, closes it in its 'connection' callback
 * (so libuv accepts no second one), serves the client, and listens on the next copy when it leaves;
 * the clients that find no listening worker wait in the kernel's accept queue (`ss -ltn` Recv-Q).
 * It is a measurement, not a server: no accounting, no limits.
 */
import net from 'node:net';
import {Worker} from 'node:worker_threads';

const threads = Number(process.argv[2] ?? 100);
/** Listener copies a worker asks its child for at once: one is used up per client it takes. */
const COPIES = 16;

const CHILD = `const net = require('node:net');
const socket = new net.Socket({fd: 4, readable: false, writable: false});
for (let i = 0; i < ${COPIES}; i++) process.send('copy', socket._handle);
process.on('disconnect', () => process.exit(0));`;

const WORKER = `const {parentPort, workerData} = require('node:worker_threads');
const {spawn} = require('node:child_process');
const net = require('node:net');
const stock = [];
let busy = false, armed = false, fetching = false;
function fetchCopies() {
	fetching = true;
	let received = 0;
	const child = spawn(process.execPath, ['-e', workerData.child], {
		stdio: ['ignore', 'ignore', 'inherit', 'ipc', workerData.fd],
	});
	child.on('message', (message, handle) => {
		if (!handle) return;
		stock.push(handle);
		if (++received === ${COPIES}) {
			child.disconnect();
			fetching = false;
		}
		arm();
	});
}
function arm() {
	if (busy || armed) return;
	if (stock.length === 0) {
		if (!fetching) fetchCopies();
		return;
	}
	armed = true;
	const server = net.createServer((socket) => {
		server.close();
		armed = false;
		busy = true;
		socket.setNoDelay(true);
		socket.on('error', () => {});
		socket.on('data', (chunk) => socket.write(chunk));
		socket.once('close', () => {
			busy = false;
			arm();
		});
	});
	server.listen(stock.shift(), 511, () => parentPort.postMessage('listening'));
}
arm();`;

type ServerHandle = {fd: number; getsockname(out: {port?: number}): number};
const createServerHandle = (
	net as unknown as {
		_createServerHandle(host: string, port: number, family: number): ServerHandle | number;
	}
)._createServerHandle;
const handle = createServerHandle('127.0.0.1', 0, 4);
if (typeof handle === 'number') throw new Error(`bind failed: ${handle}`);
const address: {port?: number} = {};
handle.getsockname(address);
const startedAt = performance.now();
let listening = 0;
for (let i = 0; i < threads; i++) {
	const worker = new Worker(WORKER, {eval: true, workerData: {fd: handle.fd, child: CHILD}});
	worker.once('message', () => {
		if (++listening === threads)
			console.log(
				`${threads} threads listening after ${Math.round(performance.now() - startedAt)} ms`,
			);
	});
	worker.on('error', (error) => console.error(`worker: ${error.message}`));
}
// The bound socket is not an active handle: this keeps the process up while every worker is busy.
setInterval(() => {}, 1 << 30);
console.log(`worker-accept echo on 127.0.0.1:${address.port}, ${threads} threads`);
