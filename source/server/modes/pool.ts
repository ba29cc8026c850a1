import net, {type Socket} from 'node:net';
import os from 'node:os';
import type {ServerSettings} from '../protocol.js';
import {acceptErrors, formatAddress, ignoreSocketErrors} from '../connection.js';
import {EchoThread} from '../echo-thread.js';
import {closeServer, listen} from '../listen.js';
import {
	THREAD_COST_BYTES,
	type ModeContext,
	type ModeFactory,
	type ModeName,
	type ServerMode,
	type ModeEntry,
} from '../mode.js';
import {PeerWatch} from '../peer-watch.js';

type Waiting = {readonly id: number; readonly socket: Socket};

/** The tutorial's hybrid: min(50, cpu count + 4) threads, as ThreadPoolExecutor's default. */
const HYBRID_POOL = {
	formula: 'min(50, cores + 4)',
	size: (cores: number) => Math.min(50, cores + 4),
};

/** The hybrid's pool on this machine. */
export function hybridPoolSize(): number {
	return HYBRID_POOL.size(os.availableParallelism());
}

/**
 * The tutorial's ThreadPoolExecutor server: a fixed set of worker threads, each serving one whole
 * connection at a time. Connections beyond the pool are accepted, kept paused, and wait in a
 * first-in, first-out queue until a thread frees up.
 */
class ThreadPool implements ServerMode {
	readonly name: ModeName;
	readonly #context: ModeContext;
	readonly #size: (settings: ServerSettings) => number;
	readonly #backlog: number;
	readonly #server: net.Server;
	readonly #sockets = new Set<Socket>();
	readonly #threads = new Set<EchoThread>();
	readonly #idle: EchoThread[] = [];
	readonly #queue: Waiting[] = [];
	/** Ends queued sockets whose client left: paused, they would never see it themselves. */
	readonly #watch = new PeerWatch();
	/** Threads asked to end; out of `#threads` at once, so sizes count only those staying. */
	readonly #ending = new Set<Promise<void>>();
	#target: number;
	#stopping = false;

	constructor(context: ModeContext, size: (settings: ServerSettings) => number, backlog: number) {
		this.name = context.name;
		this.#context = context;
		this.#size = size;
		this.#backlog = backlog;
		this.#target = size(context.settings());
		this.#server = net.createServer({pauseOnConnect: true}, (socket) => this.#accept(socket));
	}

	async start(): Promise<number> {
		this.#fill();
		const {config, emit} = this.#context;
		return listen(this.#server, config.host, config.port, this.#backlog, acceptErrors(emit));
	}

	async stop(): Promise<void> {
		this.#stopping = true;
		this.#queue.length = 0;
		this.#watch.stop();
		// Served sockets close when their thread is done with them (EchoThread.terminate).
		const served = new Set([...this.#threads].map((thread) => thread.socket));
		const closed = closeServer(
			this.#server,
			[...this.#sockets].filter((socket) => !served.has(socket)),
		);
		await Promise.all([...[...this.#threads].map((thread) => thread.terminate()), ...this.#ending]);
		await closed;
	}

	crashWorker(): string | null {
		const busy = [...this.#threads].find((thread) => thread.connection !== null);
		const thread = busy ?? this.#threads.values().next().value;
		if (!thread) return null;
		thread.crash();
		return `thread #${thread.ref.id}`;
	}

	configure(next: ServerSettings): void {
		for (const thread of this.#threads) thread.configure(next);
		const wanted = this.#size(next);
		if (wanted === this.#target) return;
		this.#target = wanted;
		// Shrinking ends idle threads now; busy ones finish their connection first.
		while (this.#threads.size > this.#target && this.#idle.length > 0)
			this.#retire(this.#idle.pop()!);
		this.#fill();
		this.#context.emit({
			type: 'log',
			level: 'info',
			text: `pool size ${this.#target}`,
			at: Date.now(),
		});
	}

	/** A new connection: served by an idle thread if one is free and no one waits, else queued. */
	#accept(socket: Socket): void {
		const {admit, nextConnectionId, emit} = this.#context;
		if (!admit(socket)) return;
		const id = nextConnectionId();
		this.#sockets.add(socket);
		ignoreSocketErrors(socket);
		const peer = formatAddress(socket.remoteAddress, socket.remotePort);
		socket.once('close', () => this.#forget(id, socket));
		const thread = this.#queue.length === 0 ? this.#idle.shift() : undefined;
		if (thread) {
			emit({type: 'conn-open', id, peer, state: 'active', by: thread.ref, at: Date.now()});
			this.#serve(thread, {id, socket});
			return;
		}
		emit({
			type: 'conn-open',
			id,
			peer,
			state: 'queued',
			by: {kind: 'main'},
			waitIn: 'pool',
			at: Date.now(),
		});
		this.#queue.push({id, socket});
		this.#watch.add(socket);
	}

	/** The connection closed, served or still queued. */
	#forget(id: number, socket: Socket): void {
		this.#sockets.delete(socket);
		this.#watch.delete(socket);
		const waiting = this.#queue.findIndex((entry) => entry.socket === socket);
		if (waiting !== -1) this.#queue.splice(waiting, 1);
		this.#context.emit({type: 'conn-close', id, at: Date.now()});
	}

	#retire(thread: EchoThread): void {
		this.#threads.delete(thread);
		const done = thread.terminate();
		this.#ending.add(done);
		void done.then(() => this.#ending.delete(done));
	}

	#spawn(): void {
		const thread = EchoThread.forMode(this.#context, {
			onExit: (gone, crashed) => this.#onExit(gone, crashed),
		});
		this.#threads.add(thread);
		this.#idle.push(thread);
	}

	#onExit(gone: EchoThread, crashed: boolean): void {
		this.#threads.delete(gone);
		const at = this.#idle.indexOf(gone);
		if (at !== -1) this.#idle.splice(at, 1);
		if (!crashed || this.#stopping) return;
		// While the pool shrinks, a crashed thread may be one fewer to end: say which it is.
		const replaced = this.#threads.size < this.#target;
		this.#context.emit({
			type: 'log',
			level: 'warn',
			text: replaced
				? `thread #${gone.ref.id} crashed: starting a replacement`
				: `thread #${gone.ref.id} crashed, not replaced: the pool is shrinking to ${this.#target}`,
			at: Date.now(),
		});
		this.#fill();
	}

	/** Starts threads up to the target size, then hands queued connections to idle threads. */
	#fill(): void {
		while (this.#threads.size < this.#target) this.#spawn();
		this.#dispatch();
	}

	#dispatch(): void {
		while (this.#idle.length > 0 && this.#queue.length > 0) {
			const thread = this.#idle.shift()!;
			const next = this.#queue.shift()!;
			this.#context.emit({type: 'conn-serve', id: next.id, by: thread.ref, at: Date.now()});
			this.#serve(thread, next);
		}
	}

	#serve(thread: EchoThread, connection: Waiting): void {
		this.#watch.delete(connection.socket);
		this.#context.emit({
			type: 'worker-busy',
			worker: thread.ref,
			connection: connection.id,
			at: Date.now(),
		});
		thread.attach(connection.id, connection.socket);
		connection.socket.once('close', () => this.#release(thread));
	}

	/** Its connection is gone: the thread takes the next in the queue, or ends if the pool shrank. */
	#release(thread: EchoThread): void {
		thread.detach();
		if (this.#stopping || !this.#threads.has(thread)) return;
		this.#context.emit({type: 'worker-busy', worker: thread.ref, connection: null, at: Date.now()});
		if (this.#threads.size > this.#target) {
			this.#retire(thread);
			return;
		}
		this.#idle.push(thread);
		this.#dispatch();
	}
}

export const createPoolMode: ModeFactory = (context) =>
	new ThreadPool(context, (settings) => settings.poolSize, context.backlog);

/** The tutorial's listen(10) over listen(5): a larger backlog (hybridMode.backlog, or --backlog). */
export const createHybridMode: ModeFactory = (context) =>
	new ThreadPool(context, () => hybridPoolSize(), context.backlog);

export const poolMode: ModeEntry = {
	summary: 'a fixed pool of worker threads; extra clients wait for a free one',
	backlog: 5,
	benchBacklog: 511,
	memory: (_clients, {poolSize}) => poolSize * THREAD_COST_BYTES,
	fdCost: 1,
	tutorial: {
		scalability: 'Fixed (workers)',
		complexity: 'Low',
		bestFor: 'Better resource management',
		from: 'text',
	},
	create: createPoolMode,
};

export const hybridMode: ModeEntry = {
	summary: `a pool of ${HYBRID_POOL.formula} threads and a larger backlog`,
	backlog: 10,
	benchBacklog: 4096,
	memory: (_clients, {cores}) => HYBRID_POOL.size(cores) * THREAD_COST_BYTES,
	fixedPool: HYBRID_POOL,
	fdCost: 1,
	tutorial: {
		scalability: 'min(50,cpus+4)',
		complexity: 'Low',
		bestFor: 'No resource exhaustion',
		from: 'text',
	},
	create: createHybridMode,
};
