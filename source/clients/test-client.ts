import net, {type Socket} from 'node:net';
import {performance} from 'node:perf_hooks';
import type {ClientPhase, ClientStatus} from '../protocol.js';
import {formatAddress} from '../server/connection.js';

export type Target = {readonly host: string; readonly port: number};

const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 2000;

/**
 * One test client: sends a line, waits for the whole reply, measures the round trip, and sends the
 * next line no sooner than its rate allows. It reconnects by itself when the server goes away, as a
 * real client would while the model is switched.
 */
export class TestClient {
	readonly id: number;
	readonly #target: Target;
	readonly #intervalMs: number;
	readonly #onRoundTrip: (micros: number) => void;
	#socket: Socket | undefined;
	#phase: ClientPhase = 'connecting';
	#local: string | null = null;
	#connectedAt: number | null = null;
	#firstReplyMs: number | null = null;
	#lastRttMs: number | null = null;
	#sentAt = 0;
	#sequence = 0;
	#pendingReply = false;
	#retryMs = FIRST_RETRY_MS;
	#timer: NodeJS.Timeout | undefined;
	#stopped = false;

	constructor(
		id: number,
		target: Target,
		ratePerSecond: number,
		onRoundTrip: (micros: number) => void,
	) {
		this.id = id;
		this.#target = target;
		this.#intervalMs = 1000 / ratePerSecond;
		this.#onRoundTrip = onRoundTrip;
	}

	start(): void {
		this.#connect();
	}

	stop(): void {
		this.#stopped = true;
		clearTimeout(this.#timer);
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
		};
	}

	#connect(): void {
		this.#phase = this.#phase === 'connecting' ? 'connecting' : 'reconnecting';
		const socket = net.connect({host: this.#target.host, port: this.#target.port});
		this.#socket = socket;
		socket.setNoDelay(true);
		socket.on('connect', () => {
			this.#retryMs = FIRST_RETRY_MS;
			this.#local = formatAddress(socket.localAddress, socket.localPort);
			this.#connectedAt = Date.now();
			this.#firstReplyMs = null;
			this.#lastRttMs = null;
			this.#phase = 'waiting';
			this.#send();
		});
		socket.on('data', (chunk: Buffer) => {
			if (!this.#pendingReply || !chunk.includes(10)) return;
			const rttMs = performance.now() - this.#sentAt;
			this.#pendingReply = false;
			this.#lastRttMs = rttMs;
			this.#firstReplyMs ??= Date.now() - this.#connectedAt!;
			this.#phase = 'answered';
			this.#onRoundTrip(rttMs * 1000);
			const wait = Math.max(0, this.#intervalMs - rttMs);
			this.#timer = setTimeout(() => this.#send(), wait);
		});
		socket.on('error', () => {});
		socket.on('close', () => {
			clearTimeout(this.#timer);
			this.#pendingReply = false;
			this.#local = null;
			this.#connectedAt = null;
			if (this.#stopped) return;
			this.#phase = 'reconnecting';
			this.#timer = setTimeout(() => this.#connect(), this.#retryMs);
			this.#retryMs = Math.min(LAST_RETRY_MS, this.#retryMs * 2);
		});
	}

	#send(): void {
		const socket = this.#socket;
		if (!socket || socket.destroyed) return;
		this.#sequence++;
		this.#pendingReply = true;
		this.#sentAt = performance.now();
		socket.write(`client ${this.id} message ${this.#sequence}\n`);
	}
}
