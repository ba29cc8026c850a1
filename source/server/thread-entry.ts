/**
 * Entry point of a worker thread of the thread, pool and hybrid models: the tutorial's
 * `handle_client` thread. It is given a connection's descriptor and serves it with blocking reads
 * and writes until the client leaves (blocking-echo.ts), then waits for the next (pool) or is ended
 * (thread per client). Bundled alone as one CommonJS script: a thread starts for each client.
 */
import {parentPort, workerData} from 'node:worker_threads';
import type {ThreadCommand, ThreadReply} from './protocol.js';
import type {HandlerName} from './handler.js';
import {
	READ_SIZE,
	serveBlocking,
	sharedBlock,
	warmUp,
	IDLE,
	STATE,
	ASK,
	ASK_NOTHING,
	ASK_CRASH,
} from './blocking-echo.js';
import {collectWhenQuiet} from './quiet-gc.js';

const port = parentPort;
if (!port) throw new Error('thread-entry must run in a worker thread');
const data = workerData as {handler: HandlerName; shared: SharedArrayBuffer; sample: string};
const upper = data.handler === 'upper';
const block = sharedBlock(data.shared);
const buffer = Buffer.allocUnsafe(READ_SIZE);
const warmUpMs = warmUp(upper, buffer, data.sample);
collectWhenQuiet();

function post(reply: ThreadReply): void {
	port!.postMessage(reply);
}

port.on('message', (command: ThreadCommand) => {
	switch (command.type) {
		case 'serve': {
			const end = serveBlocking(
				command.fd,
				command.fd,
				-1,
				upper,
				block,
				buffer,
				READ_SIZE,
				Infinity,
			);
			// Asked to crash while blocked: the read or write it was woken from ended the loop.
			if (Atomics.load(block.ints, ASK) === ASK_CRASH) throw new Error('crashed on request');
			Atomics.store(block.ints, STATE, IDLE);
			Atomics.store(block.ints, ASK, ASK_NOTHING);
			post({type: 'done', id: command.id, end: typeof end === 'string' ? end : end.error});
			break;
		}
		case 'crash': {
			throw new Error('crashed on request');
		}
	}
});

post({type: 'ready', warmUpMs});
