/**
 * Entry point of a worker thread of the thread, pool and hybrid models. Main keeps each socket and
 * posts its bytes here; the reply is computed here, so per-message CPU work runs on this thread.
 */
import {parentPort, workerData} from 'node:worker_threads';
import type {ServerSettings, ThreadCommand, ThreadReply} from './protocol.js';
import {wholeBuffer, type HandlerName} from './handler.js';
import {Responder} from './work.js';

const port = parentPort;
if (!port) throw new Error('thread-entry must run in a worker thread');
const data = workerData as {handler: HandlerName; settings: ServerSettings};
let settings = data.settings;
const responders = new Map<number, Responder>();

port.on('message', (command: ThreadCommand) => {
	switch (command.type) {
		case 'data': {
			let responder = responders.get(command.id);
			if (!responder) {
				const id = command.id;
				responder = new Responder(
					data.handler,
					() => settings,
					(reply, _messages, consumed) => {
						const message: ThreadReply = {type: 'reply', id, chunk: reply, consumed};
						port.postMessage(message, wholeBuffer(reply));
					},
				);
				responders.set(id, responder);
			}
			const chunk = command.chunk;
			responder.feed(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
			break;
		}
		case 'end': {
			responders.get(command.id)?.close();
			responders.delete(command.id);
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
