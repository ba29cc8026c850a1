import {performance} from 'node:perf_hooks';
import {countMessages, makeHandler, type HandlerName} from './handler.js';

/** The part of the settings a handler needs: read on every chunk, so changes apply at once. */
export type WorkSettings = {readonly workMs: number; readonly delayMs: number};

/** Spins the CPU for `ms`: the CPU-bound handler of the tutorial, blocking whatever thread runs it. */
export function busyWait(ms: number): void {
	const end = performance.now() + ms;
	while (performance.now() < end) {
		// Deliberately busy: this is the work being measured.
	}
}

/**
 * Turns a connection's chunks into replies: the handler, then `workMs` of CPU per message (here, on
 * the thread that calls `feed`), then `delayMs` of simulated I/O per message. Replies leave in the
 * order their chunks came, delayed or not.
 */
export class Responder {
	readonly #handle: (chunk: Buffer) => Buffer;
	readonly #settings: () => WorkSettings;
	readonly #send: (reply: Buffer, messages: number, consumed: number) => void;
	#pending = 0;
	#tail: Promise<void> = Promise.resolve();
	#closed = false;

	constructor(
		handler: HandlerName,
		settings: () => WorkSettings,
		send: (reply: Buffer, messages: number, consumed: number) => void,
	) {
		this.#handle = makeHandler(handler);
		this.#settings = settings;
		this.#send = send;
	}

	feed(chunk: Buffer): void {
		const reply = this.#handle(chunk);
		const messages = countMessages(chunk);
		const {workMs, delayMs} = this.#settings();
		if (workMs > 0 && messages > 0) busyWait(workMs * messages);
		if (this.#pending === 0 && (delayMs === 0 || messages === 0)) {
			this.#send(reply, messages, chunk.length);
			return;
		}
		this.#pending++;
		const wait = delayMs * messages;
		this.#tail = this.#tail
			.then(() =>
				wait > 0 ? new Promise<void>((resolve) => setTimeout(resolve, wait)) : undefined,
			)
			.then(() => {
				this.#pending--;
				if (!this.#closed) this.#send(reply, messages, chunk.length);
			});
	}

	/** Replies still delayed are dropped: their connection is gone. */
	close(): void {
		this.#closed = true;
	}
}
