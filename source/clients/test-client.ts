import net, {type Socket} from 'node:net';
import {performance} from 'node:perf_hooks';
import type {HandlerName} from '../server/handler.js';
import {ReplyChecker} from './reply-check.js';
import type {ClientPhase, ClientStatus, ConnectionErrors} from '../server/protocol.js';
import {formatAddress} from '../server/connection.js';

export type Target = {readonly host: string; readonly port: number};

/** How a client loads the server, beyond its rate; the dashboard uses the defaults, the bench all of it. */
export type ClientTuning = {
	/** Messages in flight at once (pipelining): 1 waits for each reply before the next. */
	readonly depth?: number;
	/** Bytes per message, newline included; by default a short line that names the client. */
	readonly size?: number;
	/** Called at the first reply on each connection, with `performance.now()`. */
	readonly onFirstReply?: (at: number) => void;
	/** Called when a connect fails or a connection ends other than by `stop`. */
	readonly onError?: (kind: ClientErrorKind) => void;
	/** Called when a connect completes. */
	readonly onConnect?: () => void;
	/** Called with the size of every chunk received. */
	readonly onData?: (bytes: number) => void;
	/** Checks each reply line against this handler's reply to the line sent (text lines only). */
	readonly expect?: HandlerName;
	/** Called with the number of wrong reply lines in a chunk, when `expect` is set. */
	readonly onWrongReplies?: (count: number, hint: string | null) => void;
	/**
	 * `closed` (the default): the next message goes when a reply is back and the rate allows, and a
	 * round trip is timed from its send, so a stalled server delays the sends it would have been
	 * slow to answer (coordinated omission). `fixed`: the k-th message of a connection is due k
	 * intervals after its connect, goes when due (or as soon as a reply frees its place), and is
	 * timed from when it was due, as wrk2 does: a stall shows in every message it delayed.
	 */
	readonly schedule?: Schedule;
	/** A message still without its reply this long after it was sent (due, at a fixed rate) counts once as timed out. */
	readonly messageTimeoutMs?: number;
	readonly onMessageTimeout?: () => void;
};

export type Schedule = 'closed' | 'fixed';

/**
 * How a connection failed, as load-test tools count it: the server refused the connect, reset the
 * connection, closed it, or did not answer a connect in time; anything else is `other`.
 */
export type ClientErrorKind = 'refused' | 'reset' | 'closed' | 'timeout' | 'other';

/** The ConnectionErrors field each kind counts in. */
export const ERROR_FIELD = {
	refused: 'refused',
	reset: 'resets',
	closed: 'closed',
	timeout: 'timeouts',
	other: 'other',
} as const satisfies Record<ClientErrorKind, keyof ConnectionErrors>;

/** The kind of a socket error, from its code. */
export function errorKind(code: string | undefined): ClientErrorKind {
	switch (code) {
		case 'ECONNREFUSED':
			return 'refused';
		case 'ECONNRESET':
		case 'EPIPE':
			return 'reset';
		case 'ETIMEDOUT':
			return 'timeout';
		default:
			return 'other';
	}
}

/** A connect that has not completed after this long is given up and counted as a timeout. */
const CONNECT_TIMEOUT_MS = 10_000;

const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 2000;

/**
 * One test client: sends a line, waits for the whole reply, measures the round trip, and sends the
 * next line no sooner than its rate allows (at once when the rate is Infinity: a closed loop that
 * keeps `depth` messages in flight). It reconnects by itself when the server goes away, as a
 * real client would while the model is switched.
 */
export class TestClient {
	readonly id: number;
	readonly #target: Target;
	readonly #intervalMs: number;
	readonly #onRoundTrip: (micros: number) => void;
	readonly #depth: number;
	/** Fixed-size payload, `depth` copies back to back, so a refill is one write of a slice. */
	readonly #payload: Buffer | undefined;
	readonly #size: number;
	readonly #onFirstReply: ((at: number) => void) | undefined;
	readonly #onError: ((kind: ClientErrorKind) => void) | undefined;
	readonly #onData: ((bytes: number) => void) | undefined;
	readonly #onConnect: (() => void) | undefined;
	readonly #checker: ReplyChecker | undefined;
	readonly #onWrongReplies: ((count: number, hint: string | null) => void) | undefined;
	readonly #schedule: Schedule;
	readonly #messageTimeoutMs: number | undefined;
	readonly #onMessageTimeout: (() => void) | undefined;
	/** Send times of the messages in flight (due times, at a fixed rate), oldest first. */
	#inFlight: number[] = [];
	/** At a fixed rate: when the next message is due. */
	#due = 0;
	/** Of the oldest messages in flight, how many were already counted as timed out. */
	#timedOut = 0;
	#timeoutTimer: NodeJS.Timeout | undefined;
	#socket: Socket | undefined;
	#phase: ClientPhase = 'connecting';
	#local: string | null = null;
	#connectedAt: number | null = null;
	#connectingSince: number | null = null;
	#firstReplyMs: number | null = null;
	#lastRttMs: number | null = null;
	#sequence = 0;
	#retryMs = FIRST_RETRY_MS;
	#timer: NodeJS.Timeout | undefined;
	#stopped = false;

	constructor(
		id: number,
		target: Target,
		ratePerSecond: number,
		onRoundTrip: (micros: number) => void,
		tuning: ClientTuning = {},
	) {
		this.id = id;
		this.#target = target;
		this.#intervalMs = 1000 / ratePerSecond;
		this.#onRoundTrip = onRoundTrip;
		this.#depth = Math.max(1, tuning.depth ?? 1);
		this.#size = Math.max(1, tuning.size ?? 0);
		this.#payload =
			tuning.size === undefined
				? undefined
				: Buffer.from(('x'.repeat(this.#size - 1) + '\n').repeat(this.#depth));
		this.#onFirstReply = tuning.onFirstReply;
		this.#onError = tuning.onError;
		this.#onData = tuning.onData;
		this.#onConnect = tuning.onConnect;
		this.#checker = tuning.expect === undefined ? undefined : new ReplyChecker(tuning.expect);
		this.#onWrongReplies = tuning.onWrongReplies;
		this.#schedule = tuning.schedule ?? 'closed';
		if (this.#schedule === 'fixed' && !(this.#intervalMs > 0 && Number.isFinite(this.#intervalMs)))
			throw new RangeError('a fixed schedule needs a finite rate');
		this.#messageTimeoutMs = tuning.messageTimeoutMs;
		this.#onMessageTimeout = tuning.onMessageTimeout;
	}

	start(): void {
		this.#connect();
	}

	stop(): void {
		this.#stopped = true;
		clearTimeout(this.#timer);
		clearTimeout(this.#timeoutTimer);
		this.#socket?.destroy();
	}

	status(): ClientStatus {
		return {
			id: this.id,
			local: this.#local,
			phase: this.#phase,
			lastRttMs: this.#lastRttMs,
			connectedAt: this.#connectedAt,
			firstReplyMs: this.#firstReplyMs,
			connectingSince: this.#connectingSince,
		};
	}

	#connect(): void {
		this.#phase = this.#phase === 'connecting' ? 'connecting' : 'reconnecting';
		const socket = net.connect({host: this.#target.host, port: this.#target.port});
		this.#socket = socket;
		this.#connectingSince = Date.now();
		// The kernel picks the local port in connect(), just after this event: read it then, so a
		// connect that hangs (its SYNs dropped at a full backlog) can be found in ss by its address.
		socket.once('connectionAttempt', () =>
			process.nextTick(() => {
				if (socket.connecting && this.#socket === socket && socket.localPort !== undefined)
					this.#local = formatAddress(socket.localAddress, socket.localPort);
			}),
		);
		socket.setNoDelay(true);
		// A server whose backlog is full drops the SYN and the kernel retries for minutes: give up
		// sooner, as a user would, and say so.
		socket.setTimeout(CONNECT_TIMEOUT_MS, () => {
			if (socket.connecting)
				socket.destroy(Object.assign(new Error('connect timed out'), {code: 'ETIMEDOUT'}));
		});
		let failed = false;
		socket.on('connect', () => this.#connected(socket));
		socket.on('data', (chunk: Buffer) => this.#received(chunk));
		socket.on('error', (error: NodeJS.ErrnoException) => {
			failed = true;
			if (!this.#stopped) this.#onError?.(errorKind(error.code));
		});
		socket.on('close', () => this.#closed(failed));
	}

	/** Connected: a fresh start for the figures of this connection, and the first messages out. */
	#connected(socket: Socket): void {
		socket.setTimeout(0);
		this.#connectingSince = null;
		this.#retryMs = FIRST_RETRY_MS;
		this.#local = formatAddress(socket.localAddress, socket.localPort);
		this.#connectedAt = Date.now();
		this.#firstReplyMs = null;
		this.#lastRttMs = null;
		this.#phase = 'waiting';
		this.#checker?.reset();
		this.#due = performance.now();
		this.#onConnect?.();
		this.#send();
	}

	/** Replies: each completed one is a round trip; the next messages go when the rate allows. */
	#received(chunk: Buffer): void {
		this.#onData?.(chunk.length);
		const wrong = this.#checker?.received(chunk) ?? 0;
		if (wrong > 0) this.#onWrongReplies?.(wrong, this.#checker!.hint);
		if (this.#inFlight.length === 0) return;
		// Each reply ends in a newline; a chunk may hold several replies, or part of one.
		const now = performance.now();
		let rttMs = -1;
		let index = chunk.indexOf(10);
		while (index !== -1 && this.#inFlight.length > 0) {
			rttMs = now - this.#inFlight.shift()!;
			if (this.#timedOut > 0) this.#timedOut--;
			this.#onRoundTrip(rttMs * 1000);
			index = chunk.indexOf(10, index + 1);
		}
		if (rttMs < 0) return;
		this.#lastRttMs = rttMs;
		if (this.#firstReplyMs === null) {
			this.#firstReplyMs = Date.now() - this.#connectedAt!;
			this.#onFirstReply?.(now);
		}
		this.#phase = 'answered';
		if (this.#schedule === 'fixed' || this.#intervalMs === 0) this.#send();
		else if (this.#inFlight.length === 0) {
			const wait = Math.max(0, this.#intervalMs - rttMs);
			this.#timer = setTimeout(() => this.#send(), wait);
		}
	}

	/** The connection ended: counted as closed unless an error said why, and tried again, later each time. */
	#closed(failed: boolean): void {
		clearTimeout(this.#timer);
		clearTimeout(this.#timeoutTimer);
		this.#timeoutTimer = undefined;
		if (!failed && !this.#stopped) this.#onError?.('closed');
		this.#inFlight = [];
		this.#timedOut = 0;
		this.#local = null;
		this.#connectedAt = null;
		this.#connectingSince = null;
		if (this.#stopped) return;
		this.#phase = 'reconnecting';
		this.#timer = setTimeout(() => this.#connect(), this.#retryMs);
		this.#retryMs = Math.min(LAST_RETRY_MS, this.#retryMs * 2);
	}

	/**
	 * Tops the messages in flight up to `depth`: closed, all of them now; fixed, those due by now,
	 * each stamped with when it was due, and a timer for the next one due.
	 */
	#send(): void {
		const socket = this.#socket;
		if (!socket || socket.destroyed) return;
		const now = performance.now();
		let count = 0;
		if (this.#schedule === 'fixed') {
			clearTimeout(this.#timer);
			while (this.#inFlight.length < this.#depth && this.#due <= now) {
				this.#inFlight.push(this.#due);
				this.#due += this.#intervalMs;
				count++;
			}
			if (this.#inFlight.length < this.#depth)
				this.#timer = setTimeout(() => this.#send(), this.#due - now);
		} else {
			count = Math.max(0, this.#depth - this.#inFlight.length);
			for (let i = 0; i < count; i++) this.#inFlight.push(now);
		}
		if (count <= 0) return;
		this.#armTimeout();
		if (this.#payload) {
			socket.write(this.#payload.subarray(0, count * this.#size));
			return;
		}
		let text = '';
		for (let i = 0; i < count; i++) {
			const line = `client ${this.id} message ${++this.#sequence}`;
			this.#checker?.sent(line);
			text += `${line}\n`;
		}
		socket.write(text);
	}

	/** Counts, once each, the messages in flight longer than the timeout; then waits for the next. */
	#armTimeout(): void {
		const timeoutMs = this.#messageTimeoutMs;
		if (timeoutMs === undefined || this.#timeoutTimer !== undefined) return;
		const next = this.#inFlight[this.#timedOut];
		if (next === undefined) return;
		this.#timeoutTimer = setTimeout(
			() => {
				this.#timeoutTimer = undefined;
				const now = performance.now();
				while (
					this.#timedOut < this.#inFlight.length &&
					now - this.#inFlight[this.#timedOut]! >= timeoutMs
				) {
					this.#timedOut++;
					this.#onMessageTimeout?.();
				}
				this.#armTimeout();
			},
			Math.max(0, next + timeoutMs - performance.now()),
		);
	}
}
