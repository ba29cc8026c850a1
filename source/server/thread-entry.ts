/**
 * Entry point of a worker thread of the thread, pool and hybrid models. Main keeps each socket and
 * posts its bytes here; the reply is computed here, so per-message CPU work runs on this thread.
 * A thread starts for each client: this file is bundled alone as one CommonJS script that imports
 * nothing but Node's worker_threads, because loading modules was most of a start.
 */
import {parentPort, workerData} from 'node:worker_threads';
import type {ServerSettings, ThreadCommand, ThreadReply} from './protocol.js';
import {wholeBuffer, type HandlerName} from './handler.js';
import {Responder} from './work.js';
import {collectWhenQuiet} from './quiet-gc.js';

const port = parentPort;
if (!port) throw new Error('thread-entry must run in a worker thread');
const data = workerData as {handler: HandlerName; settings: ServerSettings};
let settings = data.settings;
/** The current connection's; a new one for the next connection. */
let responder: Responder | undefined;

function send(reply: Buffer, _messages: number, consumed: number): void {
	const message: ThreadReply =
		consumed === reply.length ? reply : {type: 'reply', chunk: reply, consumed};
	port!.postMessage(message, wholeBuffer(reply));
}
collectWhenQuiet();

port.on('message', (command: ThreadCommand) => {
	if (command instanceof Uint8Array) {
		responder ??= new Responder(data.handler, () => settings, send);
		responder.feed(Buffer.from(command.buffer, command.byteOffset, command.byteLength));
		return;
	}
	switch (command.type) {
		case 'end': {
			responder?.close();
			responder = undefined;
			port.postMessage({type: 'ended'} satisfies ThreadReply);
			break;
		}
		case 'settings': {
			settings = command.settings;
			break;
		}
		case 'crash': {
			throw new Error('crashed on request');
		}
	}
});

port.postMessage({type: 'ready'} satisfies ThreadReply);
