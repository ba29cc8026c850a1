import {HANDLER_NAMES, makeHandler, type HandlerName} from '../server/handler.js';

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
	/** What the last wrong reply looks like, and the flag that fits it (see `replyHint`); null: none yet. */
	hint: string | null = null;
	#partial = '';
	#overlong = false;
	/** The lines sent, in step with #expected: what a wrong reply is compared with. */
	readonly #sent: string[] = [];

	constructor(handler: HandlerName) {
		this.#reply = makeHandler(handler);
	}

	/** A line was sent (without its newline). */
	sent(line: string): void {
		this.#sent.push(line);
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
			if (this.#overlong || line !== expected) {
				wrong++;
				this.hint = this.#overlong
					? 'replies are lines longer than 4096 bytes'
					: replyHint(line, this.#sent.shift());
			} else this.#sent.shift();
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
		this.#sent.length = 0;
		this.#partial = '';
		this.#overlong = false;
	}
}

/** Handlers by what they do to a line, in words. */
const DOES: Readonly<Record<HandlerName, string>> = {echo: 'echoes', upper: 'upper-cased'};

/**
 * What a wrong reply looks like, against the line it answers: what another handler would have sent
 * (`replies are upper-cased: try --handler upper`), else the start of it and --any-reply. The reply
 * is the server's text: it is quoted as JSON would, and the screen makes it inert again.
 */
export function replyHint(reply: string, sent: string | undefined): string {
	if (sent !== undefined) {
		for (const name of HANDLER_NAMES) {
			if (makeHandler(name)(Buffer.from(sent, 'latin1')).toString('latin1') !== reply) continue;
			return name === 'echo'
				? 'replies are echoes: try --handler echo'
				: `replies are ${DOES[name]}: try --handler ${name}`;
		}
	}
	const start = reply.length > 24 ? `${reply.slice(0, 24)}…` : reply;
	return `replies look like ${JSON.stringify(start)}: try --any-reply`;
}
