/**
 * The floor under the thread models: what one round trip over a worker's message port costs, with
 * no socket at all. W workers each echo what they receive; the main thread keeps one 64-byte message
 * in flight to each. Prints round trips per second and the process's CPU per round trip.
 *
 *   npm run build && node dist/bench/port-cost.js [workers=100] [bare|object] [seconds=3]
 *
 * `bare` posts the bytes themselves (moved, as echo-thread.ts does); `object` wraps them in
 * `{type, id, chunk}` as the thread models did before.
 */
import {Worker} from 'node:worker_threads';

const workerCount = Number(process.argv[2] ?? 100);
const kind = process.argv[3] === 'object' ? 'object' : 'bare';
const seconds = Number(process.argv[4] ?? 3);

const ECHO = {
	bare: `const {parentPort: port} = require('node:worker_threads');
port.on('message', (bytes) => port.postMessage(bytes, [bytes.buffer]));
port.postMessage('ready');`,
	object: `const {parentPort: port} = require('node:worker_threads');
port.on('message', ({id, chunk}) =>
	port.postMessage({type: 'reply', id, chunk, consumed: chunk.byteLength}, [chunk.buffer]));
port.postMessage('ready');`,
}[kind];

function send(worker: Worker, id: number): void {
	const bytes = new Uint8Array(64);
	if (kind === 'bare') worker.postMessage(bytes, [bytes.buffer]);
	else worker.postMessage({type: 'data', id, chunk: bytes}, [bytes.buffer]);
}

const workers = await Promise.all(
	Array.from(
		{length: workerCount},
		() =>
			new Promise<Worker>((resolve) => {
				const worker = new Worker(ECHO, {eval: true});
				worker.once('message', () => resolve(worker));
			}),
	),
);
let roundTrips = 0;
for (const [id, worker] of workers.entries()) {
	worker.on('message', () => {
		roundTrips++;
		send(worker, id);
	});
}
const cpuBefore = process.cpuUsage();
const startedAt = performance.now();
for (const [id, worker] of workers.entries()) send(worker, id);
setTimeout(() => {
	const cpu = process.cpuUsage(cpuBefore);
	const elapsedS = (performance.now() - startedAt) / 1000;
	console.log(
		`${kind}, ${workerCount} workers: ${Math.round(roundTrips / elapsedS)} round trips/s, ${((cpu.user + cpu.system) / roundTrips).toFixed(1)} µs of CPU each`,
	);
	process.exit(0);
}, seconds * 1000);
