import type {Socket} from 'node:net';
import {performance} from 'node:perf_hooks';
import {Worker} from 'node:worker_threads';
import type {EmitEvent, ServerSettings, ThreadCommand, ThreadReply, WorkerRef} from './protocol.js';
import {closeWhenIdle, idleText, StallReport, type TrafficCounter} from './connection.js';
import {countMessages, wholeBuffer, type HandlerName} from './handler.js';
import type {ModeContext} from './mode.js';

const ENTRY = new URL('thread-entry.js', import.meta.url);
/** Bytes posted to the worker and not yet answered, above which main stops reading the socket. */
const IN_FLIGHT_LIMIT = 256 * 1024;

export type EchoThreadOptions = {
	readonly mode: string;
	readonly handler: HandlerName;
	readonly settings: ServerSettings;
	readonly traffic: TrafficCounter;
	readonly emit: EmitEvent;
	/** The connection it starts with (thread per client), reported with `worker-up`. */
	readonly connection?: number;
	/** Called once when the thread is gone, whether asked to end or crashed. */
	readonly onExit: (thread: EchoThread, crashed: boolean) => void;
};

/**
 * One worker thread serving one connection at a time. A net.Socket cannot cross to a worker, and
 * handing over its fd aborts the process when both sides touch it; so main keeps the socket and
 * posts its bytes, and the worker computes the replies (and spends the per-message CPU work).
 */
export class EchoThread {
	readonly worker: Worker;
	readonly ref: Extract<WorkerRef, {kind: 'thread'}>;
	readonly #options: EchoThreadOptions;
	#connection: {id: number; socket: Socket} | undefined;
	#inFlight = 0;
	/**
	 * Connections ended whose `ended` the worker has not sent yet: replies before it answer one of
	 * them, not the connection served now, and are dropped.
	 */
	#ended = 0;
	#ending = false;
	#settings: ServerSettings;
	/** Paused because the client does not read its replies, until 'drain'. */
	#waitingDrain = false;
	#stall: StallReport | undefined;
	/** Settles when the worker has loaded its modules (or is gone). */
	readonly #ready: Promise<void>;
	#markReady = () => {};
	readonly #spawnedAt: number;
	readonly exited: Promise<void>;

	/** A thread for the running mode: its name, handler, current settings, traffic counter and events. */
	static forMode(
		context: ModeContext,
		options: Pick<EchoThreadOptions, 'connection' | 'onExit'>,
	): EchoThread {
		return new EchoThread({
			mode: context.name,
			handler: context.config.handler,
			settings: context.settings(),
			traffic: context.traffic,
			emit: context.emit,
			...options,
		});
	}

	constructor(options: EchoThreadOptions) {
		this.#options = options;
		this.#settings = options.settings;
		this.#spawnedAt = performance.now();
		this.worker = new Worker(ENTRY, {
			workerData: {handler: options.handler, settings: options.settings},
			stdout: true,
			stderr: true,
		});
		this.ref = {kind: 'thread', id: this.worker.threadId};
		this.#ready = new Promise<void>((resolve) => {
			this.#markReady = resolve;
		});
		this.worker.on('message', (reply: ThreadReply) => this.#message(reply));
		let failure: string | undefined;
		this.worker.on('error', (error) => {
			failure = error.message;
		});
		// Not events.once: it rejects on the 'error' that precedes a crash's 'exit'.
		this.exited = new Promise<number>((resolve) => this.worker.once('exit', resolve)).then((code) =>
			this.#exit(failure ?? `exit ${code}`),
		);
	}

	#message(reply: ThreadReply): void {
		if (reply instanceof Uint8Array) {
			this.#reply(reply, reply.byteLength);
			return;
		}
		switch (reply.type) {
			case 'reply': {
				this.#reply(reply.chunk, reply.consumed);
				return;
			}
			case 'ended': {
				this.#ended--;
				return;
			}
			case 'ready': {
				this.#markReady();
				this.#options.emit({
					type: 'worker-up',
					worker: this.ref,
					mode: this.#options.mode,
					connection: this.#options.connection ?? null,
					startupMs: performance.now() - this.#spawnedAt,
					at: Date.now(),
				});
			}
		}
	}

	/** The thread is gone, asked to end or crashed (`reason`): so is its connection. */
	#exit(reason: string): void {
		this.#markReady();
		const crashed = !this.#ending;
		this.#connection?.socket.destroy();
		this.#connection = undefined;
		this.#options.emit({
			type: 'worker-down',
			worker: this.ref,
			mode: this.#options.mode,
			reason,
			expected: !crashed,
			at: Date.now(),
		});
		this.#options.onExit(this, crashed);
	}

	/** Settles when the worker has loaded its modules (or is gone). */
	get ready(): Promise<void> {
		return this.#ready;
	}

	get connection(): number | null {
		return this.#connection?.id ?? null;
	}

	/** Serves `socket` until `detach`: its bytes go to the worker, the worker's replies come back. */
	attach(id: number, socket: Socket): void {
		this.#connection = {id, socket};
		this.#inFlight = 0;
		this.#waitingDrain = false;
		const {emit} = this.#options;
		const stall = new StallReport((stalled) => emit({type: 'stall', id, stalled, at: Date.now()}));
		this.#stall = stall;
		socket.once('close', () => stall.set(false));
		socket.setNoDelay(true);
		const idleMs = this.#settings.idleTimeoutMs;
		closeWhenIdle(socket, idleMs, () =>
			emit({type: 'log', level: 'info', text: idleText(id, idleMs), at: Date.now()}),
		);
		socket.on('data', (chunk: Buffer) => {
			if (this.#connection?.socket !== socket) return;
			this.#options.traffic.add(id, chunk.length, 0, countMessages(chunk), 0, 1);
			this.#inFlight += chunk.length;
			// Moved, not copied, when the chunk owns its memory: do not touch `chunk` after this.
			this.#post(chunk, wholeBuffer(chunk));
			if (this.#inFlight > IN_FLIGHT_LIMIT) socket.pause();
		});
		socket.resume();
	}

	/** The connection is gone; the worker forgets it and any replies still on their way. */
	detach(): void {
		const connection = this.#connection;
		if (!connection) return;
		this.#connection = undefined;
		this.#ended++;
		this.#post({type: 'end'});
	}

	/** Makes the worker throw, as a handler bug would: the thread dies, its connection with it. */
	crash(): void {
		this.#post({type: 'crash'});
	}

	configure(settings: ServerSettings): void {
		this.#settings = settings;
		this.#post({type: 'settings', settings});
	}

	/** Ends the thread; resolves when its OS thread is gone. */
	async terminate(): Promise<void> {
		this.#ending = true;
		// Terminating a worker while it still loads its modules leaks the loader's open files
		// (seen in /proc/self/fd), so a thread is ended only once it is ready.
		await this.#ready;
		await this.worker.terminate();
		await this.exited;
	}

	#post(command: ThreadCommand, transfer: ArrayBuffer[] = []): void {
		if (!this.#ending) this.worker.postMessage(command, transfer);
	}

	/** A reply of the worker's, answering `consumed` bytes of input. */
	#reply(chunk: Uint8Array, consumed: number): void {
		const connection = this.#connection;
		if (this.#ended > 0 || !connection || connection.socket.destroyed) return;
		const {socket, id} = connection;
		const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
		this.#options.traffic.add(id, 0, bytes.length, 0, countMessages(bytes));
		this.#inFlight -= consumed;
		const writable = socket.write(bytes);
		if (!writable) {
			socket.pause();
			if (this.#waitingDrain) return;
			this.#waitingDrain = true;
			const stall = this.#stall;
			stall?.set(true);
			socket.once('drain', () => {
				this.#waitingDrain = false;
				stall?.set(false);
				if (this.#inFlight <= IN_FLIGHT_LIMIT) socket.resume();
			});
		} else if (!this.#waitingDrain && this.#inFlight <= IN_FLIGHT_LIMIT && socket.isPaused()) {
			socket.resume();
		}
	}
}
