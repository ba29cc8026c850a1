import {makeHandler, type HandlerName} from '../server/handler.js';

/** A reply line longer than this is wrong whatever it says; its bytes are not kept. */
const MAX_LINE = 4096;

/**
 * Checks each reply line against what a correct server sends back for the line sent (`watch
 * --handler`): echo returns it, upper upper-cases it. Replies are taken in order, one per line
 * sent. Holds at most one partial line, and at most MAX_LINE bytes of it.
 */
export class ReplyChecker {
	readonly #reply: (chunk: Buffer) => Buffer;
	readonly #expected: string[] = [];
	#partial = '';
	#overlong = false;

	constructor(handler: HandlerName) {
		this.#reply = makeHandler(handler);
	}

	/** A line was sent (without its newline). */
	sent(line: string): void {
		this.#expected.push(this.#reply(Buffer.from(line)).toString('latin1'));
	}

	/** Bytes received; returns how many complete reply lines among them were wrong. */
	received(chunk: Buffer): number {
		let wrong = 0;
		let start = 0;
		let index = chunk.indexOf(10);
		while (index !== -1) {
			const line = this.#partial + chunk.toString('latin1', start, index);
			const expected = this.#expected.shift();
			if (this.#overlong || line !== expected) wrong++;
			this.#partial = '';
			this.#overlong = false;
			start = index + 1;
			index = chunk.indexOf(10, start);
		}
		if (!this.#overlong) {
			this.#partial += chunk.toString('latin1', start);
			if (this.#partial.length > MAX_LINE) {
				this.#partial = '';
				this.#overlong = true;
			}
		}
		return wrong;
	}

	/** A new connection: nothing is owed on it yet. */
	reset(): void {
		this.#expected.length = 0;
		this.#partial = '';
		this.#overlong = false;
	}
}
