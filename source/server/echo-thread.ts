import {execFileSync} from 'node:child_process';
import type {Socket} from 'node:net';
import {performance} from 'node:perf_hooks';
import {fileURLToPath} from 'node:url';
import {Worker} from 'node:worker_threads';
import {runSs, SS} from '../collectors/ss.js';
import type {EmitEvent, ServerSettings, ThreadCommand, ThreadReply, WorkerRef} from './protocol.js';
import {idleText, STALL_REPORT_MS, type TrafficCounter} from './connection.js';
import {explainListenError} from './listen.js';
import type {HandlerName} from './handler.js';
import type {ModeContext} from './mode.js';
import {
	ACTIVE_AT,
	ASK,
	ASK_CRASH,
	ASK_END,
	ASK_NOTHING,
	BYTES_IN,
	BYTES_OUT,
	DELAY_MS,
	IDLE,
	LOCAL_PORT,
	MESSAGES_IN,
	MESSAGES_OUT,
	READS,
	REMOTE_PORT,
	SHARED_BYTES,
	sharedBlock,
	SINCE,
	STATE,
	STOPPING,
	WORK_MS,
	WRITING,
	type SharedBlock,
} from './blocking-echo.js';

const ENTRY = new URL('thread-entry.js', import.meta.url);
/** How often the shared figures of serving threads are read into the traffic counter. */
const TICK_MS = 100;
/** How long a thread asked to end may take before it is left to end when its client does. */
const END_GRACE_MS = 2000;

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
	/** Sequential: the thread accepted a client itself; returns the id it is known by. */
	readonly onAccepted?: (peer: string) => number;
	/** Sequential: the client the thread accepted is gone. */
	readonly onDone?: (id: number) => void;
};

type Serving = {
	readonly id: number;
	/** The main thread's handle, when it accepted the connection; none when the thread did. */
	readonly socket: Socket | undefined;
	/** The server's end and the client's: what `ss -K` finds the socket by. */
	readonly ports: Ports;
	readonly since: number;
	/**
	 * When this thread first saw the worker serving the connection (its loop entered a state after
	 * `since`): the idle clock starts there. A worker still warming up is not the client's silence.
	 */
	servingSince: number | undefined;
	/** The shared figures as last read: the next tick adds what grew since. */
	readonly seen: Float64Array;
	stalled: boolean;
	/** Resolves with the worker's `done`. */
	readonly done: Promise<void>;
	markDone: () => void;
};

/** Threads serving a connection now, read by the one ticker and by the exit guard. */
const serving = new Set<EchoThread>();
/** Every thread alive, for the exit guard: a sequential one may serve a client not yet announced. */
const alive = new Set<EchoThread>();
let ticker: NodeJS.Timeout | undefined;

/**
 * One worker thread that serves one connection at a time, as the tutorial's thread does: it reads
 * and writes the client's socket itself, blocking (blocking-echo.ts), and no byte of the client
 * crosses to this thread. This thread accepted the connection and keeps its handle, paused and never
 * read, as the descriptor's one owner: the worker borrows the descriptor and says `done`, and only
 * then is the handle closed, so the number cannot be reused under the worker. Figures come through
 * the thread's shared block, read every TICK_MS.
 */
export class EchoThread {
	readonly worker: Worker;
	readonly ref: Extract<WorkerRef, {kind: 'thread'}>;
	readonly #options: EchoThreadOptions;
	readonly #block: SharedBlock;
	#serving: Serving | undefined;
	#ending = false;
	#settings: ServerSettings;
	readonly #ready: Promise<void>;
	#markReady = () => {};
	readonly #spawnedAt: number;
	readonly exited: Promise<void>;

	/** A thread for the running mode: its name, handler, current settings, traffic counter and events. */
	static forMode(
		context: ModeContext,
		options: Pick<EchoThreadOptions, 'connection' | 'onExit' | 'onAccepted' | 'onDone'>,
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
		const shared = new SharedArrayBuffer(SHARED_BYTES);
		this.#block = sharedBlock(shared);
		this.#writeSettings(options.settings);
		this.worker = new Worker(ENTRY, {
			// Every thread warms up, one started for a waiting client too: unwarmed, it served at about
			// half the pool's rate for its first 4,000 messages (14 s at 100 clients).
			workerData: {handler: options.handler, shared, sample: fileURLToPath(ENTRY)},
			stdout: true,
			stderr: true,
		});
		this.ref = {kind: 'thread', id: this.worker.threadId};
		alive.add(this);
		this.#ready = new Promise<void>((resolve) => {
			this.#markReady = resolve;
		});
		this.worker.on('message', (reply: ThreadReply) => this.#message(reply));
		let failure: string | undefined;
		this.worker.on('error', (error) => {
			failure = error.message;
		});
		// Not events.once: it rejects on the 'error' that precedes a crash's 'exit'.
		// Asked to end, its exit code says nothing (Worker.terminate() always gives 1): a spare ended
		// by a model switch read as `ended (exit 1)`, a failure.
		this.exited = new Promise<number>((resolve) => this.worker.once('exit', resolve)).then((code) =>
			this.#exit(failure ?? (this.#ending ? 'stopped' : `exit ${code}`)),
		);
	}

	#message(reply: ThreadReply): void {
		switch (reply.type) {
			case 'done': {
				this.#finish(reply.id === -1 ? (this.#serving?.id ?? -1) : reply.id);
				return;
			}
			case 'accepted': {
				const id = this.#options.onAccepted?.(reply.peer) ?? -1;
				this.#begin(id, undefined, {local: reply.localPort, remote: reply.remotePort});
				return;
			}
			case 'listening':
			case 'listen-failed': {
				this.#listened?.(reply);
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
		alive.delete(this);
		this.#markReady();
		const crashed = !this.#ending;
		const current = this.#serving;
		if (current) this.#finish(current.id);
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

	/** Settles when the worker has loaded and warmed up its code (or is gone). */
	get ready(): Promise<void> {
		return this.#ready;
	}

	get connection(): number | null {
		return this.#serving?.id ?? null;
	}

	/** The socket it serves now. */
	get socket(): Socket | undefined {
		return this.#serving?.socket;
	}

	/**
	 * Serves `socket` until its client leaves: the worker reads and writes it; when it is done, the
	 * socket is destroyed here and its 'close' tells the mode.
	 */
	attach(id: number, socket: Socket): void {
		const handle = (socket as unknown as {_handle?: SocketHandle | null})._handle;
		if (!handle || handle.fd < 0 || this.#ending) {
			socket.destroy();
			return;
		}
		socket.setNoDelay(true);
		// Blocking, so the worker sleeps in read() and write() as the tutorial's thread does. The
		// flag belongs to the socket, not the descriptor: this thread never reads or writes it.
		handle.setBlocking(true);
		const done = this.#begin(id, socket, {
			local: socket.localPort ?? 0,
			remote: socket.remotePort ?? 0,
		});
		// Whoever destroys the socket meanwhile (a switch, an error of the handle, the idle timeout)
		// closes the descriptor only once the worker is done with it: never under its feet.
		const destroyNow = socket._destroy.bind(socket);
		socket._destroy = (error, callback) => {
			if (this.#serving?.socket !== socket) {
				destroyNow(error, callback);
				return;
			}
			this.end();
			void done.then(() => destroyNow(error, callback));
		};
		this.#post({type: 'serve', id, fd: handle.fd});
	}

	/** Connection `id` is served from now on; resolves when the worker is done with it. */
	#begin(id: number, socket: Socket | undefined, ports: Ports): Promise<void> {
		let markDone = () => {};
		const done = new Promise<void>((resolve) => {
			markDone = resolve;
		});
		this.#serving = {
			id,
			socket,
			ports,
			since: Date.now(),
			// A thread that accepted the connection itself is serving it already.
			servingSince: socket ? undefined : Date.now(),
			seen: Float64Array.from(this.#block.floats),
			stalled: false,
			done,
			markDone,
		};
		if (socket) Atomics.store(this.#block.ints, ASK, ASK_NOTHING);
		serving.add(this);
		ticker ??= setInterval(tick, TICK_MS);
		ticker.unref();
		return done;
	}

	#listened:
		((reply: Extract<ThreadReply, {type: 'listening' | 'listen-failed'}>) => void) | undefined;

	/**
	 * Sequential: the thread listens on its own socket and serves each client inside its accept
	 * callback (thread-entry.ts); resolves with the bound port, or rejects with the kernel's refusal.
	 */
	async listen(host: string, port: number, backlog: number): Promise<number> {
		await this.#ready;
		const reply = await new Promise<Extract<ThreadReply, {type: 'listening' | 'listen-failed'}>>(
			(resolve) => {
				this.#listened = resolve;
				this.#post({type: 'listen', host, port, backlog});
			},
		);
		this.#listened = undefined;
		if (reply.type === 'listening') return reply.port;
		throw explainListenError(
			Object.assign(new Error(reply.message), {code: reply.code}),
			host,
			port,
		);
	}

	/** Sequential: stops listening; clients in the kernel's queue are reset with it. */
	unlisten(): void {
		Atomics.store(this.#block.ints, STOPPING, 1);
		this.#post({type: 'unlisten'});
	}

	/** The socket closed (after `done`, or the thread is gone): nothing more to read for it. */
	detach(): void {
		const current = this.#serving;
		if (current) this.#finish(current.id);
	}

	/**
	 * Asks the serving loop to end its connection, as a server that closes it would: the client is
	 * sent FIN (so it closes and the blocked read returns), and, where this user may (root), the
	 * kernel aborts the socket at once (`ss -K`), which wakes a read or write whatever the client does.
	 */
	end(): void {
		const current = this.#serving;
		if (!current) return;
		Atomics.store(this.#block.ints, ASK, ASK_END);
		if (current.socket && !current.socket.destroyed) current.socket.end();
		abortSockets([current.ports]);
	}

	/** Makes the worker throw, as a handler bug would: the thread dies, its connection with it. */
	crash(): void {
		const current = this.#serving;
		if (!current) {
			this.#post({type: 'crash'});
			return;
		}
		// The loop throws at its next message, or as soon as its blocked read or write is woken.
		Atomics.store(this.#block.ints, ASK, ASK_CRASH);
		if (current.socket && !current.socket.destroyed) current.socket.end();
		abortSockets([current.ports]);
	}

	configure(settings: ServerSettings): void {
		this.#settings = settings;
		this.#writeSettings(settings);
	}

	/** Ends the thread, its connection first; resolves when its OS thread is gone. */
	async terminate(): Promise<void> {
		this.#ending = true;
		Atomics.store(this.#block.ints, STOPPING, 1);
		// Terminating a worker while it still loads its modules leaks the loader's open files
		// (seen in /proc/self/fd), so a thread is ended only once it is ready.
		await this.#ready;
		await this.#endUnannounced();
		const current = this.#serving;
		if (current) {
			this.end();
			const left = await Promise.race([
				current.done.then(() => false),
				new Promise<boolean>((resolve) => setTimeout(() => resolve(true), END_GRACE_MS).unref()),
			]);
			if (left) {
				// A thread blocked in the kernel cannot be stopped from outside; it ends with its client.
				this.#options.emit({
					type: 'log',
					level: 'warn',
					text: `thread #${this.ref.id} is still blocked on #${current.id}, whose client neither reads nor closes: it ends when the client does`,
					at: Date.now(),
				});
				await current.done;
			}
		}
		await this.worker.terminate();
		await this.exited;
	}

	/**
	 * A sequential thread may be serving a client whose `accepted` has not reached this thread yet:
	 * it is woken by the ports it wrote before its loop, and waited for (bounded).
	 */
	async #endUnannounced(): Promise<void> {
		const {ints} = this.#block;
		if (this.#serving || Atomics.load(ints, STATE) === IDLE) return;
		Atomics.store(ints, ASK, ASK_END);
		abortSockets([
			{local: Atomics.load(ints, LOCAL_PORT), remote: Atomics.load(ints, REMOTE_PORT)},
		]);
		const deadline = Date.now() + END_GRACE_MS;
		while (Atomics.load(ints, STATE) !== IDLE && !this.#serving && Date.now() < deadline)
			await new Promise((resolve) => setTimeout(resolve, 20));
	}

	/** The serving loop of connection `id` ended: its last figures, then its socket closes. */
	#finish(id: number): void {
		const current = this.#serving;
		if (!current || current.id !== id) return;
		this.#read(current, Date.now());
		if (current.stalled) this.#options.emit({type: 'stall', id, stalled: false, at: Date.now()});
		this.#serving = undefined;
		serving.delete(this);
		if (serving.size === 0 && ticker) {
			clearInterval(ticker);
			ticker = undefined;
		}
		current.markDone();
		if (current.socket) current.socket.destroy();
		else this.#options.onDone?.(id);
	}

	/** Folds what the worker counted since the last reading into the traffic counter; reports stalls and idleness. */
	read(now: number): void {
		const current = this.#serving;
		if (current) this.#read(current, now);
	}

	#read(current: Serving, now: number): void {
		const {floats, ints} = this.#block;
		const {seen, id} = current;
		const grew = (slot: number) => {
			const value = floats[slot]!;
			const delta = value - seen[slot]!;
			seen[slot] = value;
			return delta;
		};
		const bytesIn = grew(BYTES_IN);
		const bytesOut = grew(BYTES_OUT);
		const messagesIn = grew(MESSAGES_IN);
		const messagesOut = grew(MESSAGES_OUT);
		const reads = grew(READS);
		if (bytesIn || bytesOut || reads)
			this.#options.traffic.add(id, bytesIn, bytesOut, messagesIn, messagesOut, reads);
		const {emit} = this.#options;
		// Blocked in write() for long: the client does not read its replies.
		const stalled =
			Atomics.load(ints, STATE) === WRITING && now - floats[SINCE]! >= STALL_REPORT_MS;
		if (stalled !== current.stalled) {
			current.stalled = stalled;
			emit({type: 'stall', id, stalled, at: now});
		}
		if (current.servingSince === undefined && floats[SINCE]! >= current.since)
			current.servingSince = now;
		const idleMs = this.#settings.idleTimeoutMs;
		const {servingSince} = current;
		if (
			idleMs &&
			servingSince !== undefined &&
			now - Math.max(floats[ACTIVE_AT]!, servingSince) >= idleMs &&
			Atomics.load(ints, ASK) === ASK_NOTHING
		) {
			emit({type: 'log', level: 'info', text: idleText(id, idleMs), at: now});
			this.end();
		}
	}

	#writeSettings(settings: ServerSettings): void {
		this.#block.floats[WORK_MS] = settings.workMs;
		this.#block.floats[DELAY_MS] = settings.delayMs;
	}

	#post(command: ThreadCommand): void {
		if (!this.#ending || command.type === 'serve' || command.type === 'unlisten')
			this.worker.postMessage(command);
	}

	/** In a serving loop: what exit must wait for. */
	get inLoop(): boolean {
		return Atomics.load(this.#block.ints, STATE) !== IDLE;
	}

	/** Asks the loop to end without waiting (the exit guard). */
	askEnd(): Ports {
		const {ints} = this.#block;
		Atomics.store(ints, ASK, ASK_END);
		return (
			this.#serving?.ports ?? {
				local: Atomics.load(ints, LOCAL_PORT),
				remote: Atomics.load(ints, REMOTE_PORT),
			}
		);
	}
}

type SocketHandle = {readonly fd: number; setBlocking(blocking: boolean): number};
type Ports = {readonly local: number; readonly remote: number};

function tick(): void {
	const now = Date.now();
	for (const thread of serving) thread.read(now);
}

/** `ss -K` filter for the server's end of each socket. */
function killFilter(sockets: readonly Ports[]): string[] | undefined {
	const terms: string[] = [];
	for (const {local, remote} of sockets) {
		if (!local || !remote) continue;
		terms.push(`( sport = :${local} and dport = :${remote} )`);
	}
	if (terms.length === 0 || SS === undefined) return undefined;
	return ['-K', '-tn', 'state', 'connected', terms.join(' or ')];
}

/**
 * Aborts the server's end of each socket in the kernel (SOCK_DESTROY, `ss -K`): a thread blocked in
 * its read or write returns at once, as the client gets a reset. Needs CAP_NET_ADMIN (root); for
 * anyone else it does nothing, and the FIN already sent is what ends the connection.
 */
function abortSockets(sockets: readonly Ports[]): void {
	if (process.getuid?.() !== 0) return;
	const args = killFilter(sockets);
	if (!args) return;
	runSs(args, {timeoutMs: 2000}).catch(() => {});
}

/**
 * Node joins every worker thread at exit, and a thread blocked in read() never joins: a client that
 * stays silent would hang the exit. So at exit every serving loop is asked to end, its socket is
 * aborted (root), and the loops get a second to leave; a loop that cannot (not root, and a client
 * that neither reads nor closes) is ended with the process by SIGKILL, the only way left.
 */
process.once('exit', () => {
	const blocked = [...alive].filter((thread) => thread.inLoop);
	if (blocked.length === 0) return;
	const sockets = blocked.map((thread) => thread.askEnd());
	const args = process.getuid?.() === 0 ? killFilter(sockets) : undefined;
	if (args) {
		try {
			execFileSync(SS!, args, {timeout: 2000, stdio: 'ignore'});
		} catch {
			// Nothing more to try than waiting.
		}
	}
	const wait = new Int32Array(new SharedArrayBuffer(4));
	const deadline = Date.now() + 1000;
	while (blocked.some((thread) => thread.inLoop) && Date.now() < deadline)
		Atomics.wait(wait, 0, 0, 10);
	if (blocked.some((thread) => thread.inLoop)) process.kill(process.pid, 'SIGKILL');
});
