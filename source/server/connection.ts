import type {Socket} from 'node:net';
import type {EmitEvent, TrafficDelta} from '../protocol.js';
import type {HandlerName} from './handler.js';
import {Responder, type WorkSettings} from './work.js';

/**
 * Per-connection byte and message counts, accumulated where the bytes flow and flushed as one
 * `traffic` event a few times a second, so accounting costs a map update per chunk, not a message.
 */
export class TrafficCounter {
	readonly #rows = new Map<number, [number, number, number, number]>();

	add(
		id: number,
		bytesIn: number,
		bytesOut: number,
		messagesIn: number,
		messagesOut: number,
	): void {
		const row = this.#rows.get(id);
		if (row) {
			row[0] += bytesIn;
			row[1] += bytesOut;
			row[2] += messagesIn;
			row[3] += messagesOut;
		} else {
			this.#rows.set(id, [bytesIn, bytesOut, messagesIn, messagesOut]);
		}
	}

	/** Returns the deltas since the last flush and starts a new period. */
	flush(): TrafficDelta[] {
		const deltas: TrafficDelta[] = [];
		for (const [id, [bytesIn, bytesOut, messagesIn, messagesOut]] of this.#rows) {
			deltas.push([id, bytesIn, bytesOut, messagesIn, messagesOut]);
		}
		this.#rows.clear();
		return deltas;
	}
}

export type ServeOptions = {
	readonly id: number;
	readonly handler: HandlerName;
	readonly traffic: TrafficCounter;
	readonly settings: () => WorkSettings;
};

/**
 * Echoes a connected socket until it closes. When the client does not read its replies, reading
 * stops until the socket drains, so a slow reader cannot grow the server's memory.
 */
export function serveSocket(socket: Socket, options: ServeOptions): void {
	const {id, traffic} = options;
	const responder = new Responder(
		options.handler,
		options.settings,
		(reply, messages, consumed) => {
			traffic.add(id, consumed, reply.length, messages, messages);
			if (socket.destroyed) return;
			if (!socket.write(reply)) {
				socket.pause();
				socket.once('drain', () => socket.resume());
			}
		},
	);
	socket.setNoDelay(true);
	socket.on('data', (chunk: Buffer) => responder.feed(chunk));
	socket.once('close', () => responder.close());
}

let budgetWarnedAt = 0;

/** Refuses a connection because one more worker would not fit in memory, and says why (at most every 10 s). */
export function refuseOverBudget(
	socket: Socket,
	budget: number,
	what: string,
	emit: EmitEvent,
): void {
	const peer = formatAddress(socket.remoteAddress, socket.remotePort);
	socket.on('error', () => {});
	socket.destroy();
	const at = Date.now();
	if (at - budgetWarnedAt > 10_000) {
		budgetWarnedAt = at;
		emit({
			type: 'log',
			level: 'warn',
			text: `${budget} ${what} would fill half of this machine's memory: refusing more clients`,
			at,
		});
	}
	emit({type: 'refused', peer, limit: budget, why: `${budget} ${what} (half the memory)`, at});
}

/** A reset or broken pipe ends only its own connection: 'close' follows, and the caller accounts for it there. */
export function ignoreSocketErrors(socket: Socket): void {
	socket.on('error', () => {});
}

/** `127.0.0.1:5000`, `[::1]:5000`: one spelling for peers and clients' local ends, so they can be matched. */
export function formatAddress(address: string | undefined, port: number | undefined): string {
	if (address === undefined || port === undefined) return 'unknown';
	const bare = address.startsWith('::ffff:') ? address.slice(7) : address;
	return bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
}
