import type {Socket} from 'node:net';
import type {EmitEvent, TrafficDelta} from './protocol.js';
import type {HandlerName} from './handler.js';
import {Responder, type WorkSettings} from './work.js';

/** How many threads or child processes a model may start, what they are and why that many. */
export type WorkerBudget = {readonly limit: number; readonly what: string; readonly why: string};

/**
 * Per-connection byte and message counts, accumulated where the bytes flow and flushed as one
 * `traffic` event a few times a second, so accounting costs a map update per chunk, not a message.
 */
export class TrafficCounter {
	readonly #rows = new Map<number, [number, number, number, number, number]>();

	add(
		id: number,
		bytesIn: number,
		bytesOut: number,
		messagesIn: number,
		messagesOut: number,
		reads = 0,
	): void {
		const row = this.#rows.get(id);
		if (row) {
			row[0] += bytesIn;
			row[1] += bytesOut;
			row[2] += messagesIn;
			row[3] += messagesOut;
			row[4] += reads;
		} else {
			this.#rows.set(id, [bytesIn, bytesOut, messagesIn, messagesOut, reads]);
		}
	}

	/** Returns the deltas since the last flush and starts a new period. */
	flush(): TrafficDelta[] {
		const deltas: TrafficDelta[] = [];
		for (const [id, [bytesIn, bytesOut, messagesIn, messagesOut, reads]] of this.#rows) {
			deltas.push([id, bytesIn, bytesOut, messagesIn, messagesOut, reads]);
		}
		this.#rows.clear();
		return deltas;
	}
}

export type ServeOptions = {
	readonly id: number;
	readonly handler: HandlerName;
	readonly traffic: TrafficCounter;
	readonly settings: () => WorkSettings & {readonly idleTimeoutMs?: number | null};
	/** The client stopped reading (true) and the server stopped reading from it, or it caught up (false). */
	readonly onStall?: (stalled: boolean) => void;
	/** The connection was closed for saying nothing for `idleTimeoutMs`. */
	readonly onIdle?: () => void;
};

/**
 * Reply bytes one connection may hold, waiting on their delay (--delay-ms) or written and not yet
 * taken by the kernel, before the server stops reading it; it reads again below the low mark.
 */
export const BACKLOG_HIGH = 256 * 1024;
export const BACKLOG_LOW = 64 * 1024;

/**
 * Echoes a connected socket until it closes. Reading stops while the connection's replies pile up,
 * whether the client does not read them or they wait on their delay, so neither a slow reader nor
 * a fast sender can grow the server's memory.
 */
export function serveSocket(socket: Socket, options: ServeOptions): void {
	const {id, traffic} = options;
	const stall = new StallReport(options.onStall);
	let paused = false;
	let waitingDrain = false;
	const flow = () => {
		if (socket.destroyed) return;
		const backlog = responder.pendingBytes + socket.writableLength;
		if (!paused && (waitingDrain || backlog > BACKLOG_HIGH)) {
			paused = true;
			socket.pause();
		} else if (paused && !waitingDrain && backlog <= BACKLOG_LOW) {
			paused = false;
			socket.resume();
		}
	};
	const responder = new Responder(
		options.handler,
		options.settings,
		(reply, messages, consumed) => {
			traffic.add(id, consumed, reply.length, messages, messages);
			if (socket.destroyed) return;
			if (!socket.write(reply) && !waitingDrain) {
				// The client does not read its replies: that is a stall, unlike a delay.
				waitingDrain = true;
				stall.set(true);
				socket.once('drain', () => {
					waitingDrain = false;
					stall.set(false);
					flow();
				});
			}
			flow();
		},
	);
	socket.setNoDelay(true);
	closeWhenIdle(socket, options.settings().idleTimeoutMs, options.onIdle);
	socket.on('data', (chunk: Buffer) => {
		traffic.add(id, 0, 0, 0, 0, 1);
		responder.feed(chunk);
		flow();
	});
	socket.once('close', () => {
		stall.set(false);
		responder.close();
	});
}

/** How long reading stays paused before the connection counts as stalled: a busy but reading client pauses briefly all the time. */
export const STALL_REPORT_MS = 500;

/**
 * Reports a connection as stalled once reading from it has been paused for STALL_REPORT_MS, and as
 * flowing again when it resumes, so a client that reads slowly but steadily is not reported at all.
 */
export class StallReport {
	readonly #report: ((stalled: boolean) => void) | undefined;
	#timer: NodeJS.Timeout | undefined;
	#reported = false;

	constructor(report: ((stalled: boolean) => void) | undefined) {
		this.#report = report;
	}

	set(paused: boolean): void {
		if (!this.#report) return;
		if (paused) {
			if (this.#timer || this.#reported) return;
			this.#timer = setTimeout(() => {
				this.#timer = undefined;
				this.#reported = true;
				this.#report?.(true);
			}, STALL_REPORT_MS);
			this.#timer.unref();
			return;
		}
		clearTimeout(this.#timer);
		this.#timer = undefined;
		if (this.#reported) {
			this.#reported = false;
			this.#report(false);
		}
	}
}

/**
 * Closes `socket` once it has been silent (nothing read or written) for `ms`; off when null. A client
 * that stopped reading is not silent to the kernel, but nothing moves on its socket either: it is
 * closed as well, which is what an idle timeout is for.
 */
export function closeWhenIdle(
	socket: Socket,
	ms: number | null | undefined,
	onIdle?: () => void,
): void {
	if (!ms) return;
	socket.setTimeout(ms, () => {
		onIdle?.();
		socket.destroy();
	});
}

let budgetWarnedAt = 0;

/** Refuses a connection because one more worker is over the model's budget, and says why (in the log at most every 10 s). */
export function refuseOverBudget(socket: Socket, budget: WorkerBudget, emit: EmitEvent): void {
	const peer = formatAddress(socket.remoteAddress, socket.remotePort);
	socket.on('error', () => {});
	socket.destroy();
	const at = Date.now();
	const why = `${budget.limit} ${budget.what} (${budget.why})`;
	if (at - budgetWarnedAt > 10_000) {
		budgetWarnedAt = at;
		emit({
			type: 'log',
			level: 'warn',
			text: `budget of ${why} reached: refusing more clients (--max-workers raises it)`,
			at,
		});
	}
	emit({type: 'refused', peer, limit: budget.limit, why, at});
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

/** The stall and idle callbacks of connection `id`, as events (for serveSocket and the modes that serve sockets themselves). */
export function connectionReports(
	id: number,
	emit: EmitEvent,
	idleTimeoutMs: number | null | undefined,
): Pick<ServeOptions, 'onStall' | 'onIdle'> {
	return {
		onStall: (stalled) => emit({type: 'stall', id, stalled, at: Date.now()}),
		onIdle: () =>
			emit({type: 'log', level: 'info', text: idleText(id, idleTimeoutMs), at: Date.now()}),
	};
}

export function idleText(id: number, idleTimeoutMs: number | null | undefined): string {
	return `#${id} closed: silent for ${(idleTimeoutMs ?? 0) / 1000} s (--idle-timeout)`;
}

/** Reports failed accepts (EMFILE, ENFILE) as a warning, at most one every 10 s. */
export function acceptErrors(emit: EmitEvent): (error: NodeJS.ErrnoException) => void {
	let warnedAt = 0;
	return (error) => {
		const at = Date.now();
		if (at - warnedAt < 10_000) return;
		warnedAt = at;
		const text =
			error.code === 'EMFILE' || error.code === 'ENFILE'
				? `out of file descriptors (${error.code}): new clients are dropped`
				: `accept failed: ${error.message}`;
		emit({type: 'log', level: 'error', text, at});
	};
}
