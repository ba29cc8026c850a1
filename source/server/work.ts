import {countMessages, makeHandler, type HandlerName} from './handler.js';

/** The part of the settings a handler needs: read on every chunk, so changes apply at once. */
export type WorkSettings = {readonly workMs: number; readonly delayMs: number};

/**
 * Spins the CPU for `ms` (with Node's global `performance`: importing node:perf_hooks would load it
 * in every worker thread): the CPU-bound handler of the tutorial, blocking whatever thread runs it.
 */
export function busyWait(ms: number): void {
	const end = performance.now() + ms;
	while (performance.now() < end) {
		// Deliberately busy: this is the work being measured.
	}
}

/**
 * What one waiting reply costs besides its bytes (the entry, its counts): a client that sends one
 * newline at a time must not queue millions of tiny replies that each count as one byte.
 */
const ENTRY_COST = 128;

type Waiting = {
	readonly reply: Buffer;
	readonly messages: number;
	readonly consumed: number;
	readonly wait: number;
};

/**
 * Turns a connection's chunks into replies: the handler, then `workMs` of CPU per message (here, on
 * the thread that calls `feed`), then `delayMs` of simulated I/O per message. Replies leave in the
 * order their chunks came, delayed or not. Replies waiting on their delay are counted in
 * `pendingBytes`, so the connection's owner can stop reading while they pile up, exactly as it
 * does for output the client has not read.
 */
export class Responder {
	readonly #handle: (chunk: Buffer) => Buffer;
	readonly #settings: () => WorkSettings;
	readonly #send: (reply: Buffer, messages: number, consumed: number) => void;
	readonly #waiting: Waiting[] = [];
	#pendingBytes = 0;
	#timer: NodeJS.Timeout | undefined;
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

	/** Bytes of replies (plus a fixed cost each) computed but held back by the delay. */
	get pendingBytes(): number {
		return this.#pendingBytes;
	}

	feed(chunk: Buffer): void {
		if (this.#closed) return;
		const reply = this.#handle(chunk);
		const messages = countMessages(chunk);
		const {workMs, delayMs} = this.#settings();
		if (workMs > 0 && messages > 0) busyWait(workMs * messages);
		if (this.#waiting.length === 0 && (delayMs === 0 || messages === 0)) {
			this.#send(reply, messages, chunk.length);
			return;
		}
		this.#waiting.push({reply, messages, consumed: chunk.length, wait: delayMs * messages});
		this.#pendingBytes += reply.length + ENTRY_COST;
		if (this.#waiting.length === 1) this.#next();
	}

	/** Replies still delayed are dropped: their connection is gone. */
	close(): void {
		this.#closed = true;
		clearTimeout(this.#timer);
		this.#waiting.length = 0;
		this.#pendingBytes = 0;
	}

	/** Sends the replies due now, then waits out the next one's delay. */
	#next(): void {
		let head = this.#waiting[0];
		while (head && head.wait === 0 && !this.#closed) {
			this.#release(head);
			head = this.#waiting[0];
		}
		if (!head || this.#closed) return;
		const due = head;
		this.#timer = setTimeout(() => {
			this.#timer = undefined;
			this.#release(due);
			this.#next();
		}, due.wait);
	}

	#release(head: Waiting): void {
		this.#waiting.shift();
		this.#pendingBytes -= head.reply.length + ENTRY_COST;
		this.#send(head.reply, head.messages, head.consumed);
	}
}
