import net, {type Socket} from 'node:net';
import {acceptErrors, ignoreSocketErrors, refuseOverBudget} from '../connection.js';
import {EchoThread} from '../echo-thread.js';
import {closeServer, listen} from '../listen.js';
import {
	THREAD_COST_BYTES,
	workerBudget,
	type ModeContext,
	type ModeEntry,
	type ModeFactory,
	type ModeName,
	type ServerMode,
	type WorkerBudget,
} from '../mode.js';
import type {ServerSettings} from '../protocol.js';
import {announceOnMain, announceServed} from '../main-thread.js';
import {SpawnGate} from '../spawn-gate.js';
import {Spares} from '../spares.js';
import {PeerWatch} from '../peer-watch.js';

/** File descriptors one connection costs the server: A socket, and the worker's own event loop (epoll, eventfd, ...): 5 in all, measured with 20 clients. */
const FDS_PER_CONNECTION = 5;

/**
 * About 8 MB of RSS per worker thread, measured (bench/thread-cost.ts); 10 MB keeps a margin. 64 a
 * core: idle threads cost no CPU, but each start does, and 283 threads on 2 cores answered nothing.
 */
export const THREAD_COST = {
	what: 'threads',
	bytes: THREAD_COST_BYTES,
	perCore: 64,
	fds: FDS_PER_CONNECTION,
} as const;

/**
 * Threads started ahead of need, as Apache keeps MinSpareThreads: a Worker takes about 120 ms to
 * start alone and 0.45–0.54 s when 14 start at once (design.md), so newcomers that each waited for
 * their own thread waited that long. A newcomer takes a ready spare and a new spare starts behind
 * it; each client still has a thread of its own. The spares show as threads with no connection.
 * After a burst, as many as it brought are kept for a minute (spares.ts, shared with process).
 */
export const SPARE_THREADS = 16;

/**
 * The tutorial's threading server: a new worker thread per client, which handles that client until
 * it disconnects and then ends. Thread count (and memory) rises and falls with the clients. With
 * no spare ready, threads start a few at a time (SpawnGate), and a client that leaves before its
 * thread starts never costs one: after a storm of connect-and-reset the server is back to idle in
 * seconds, not minutes.
 */
class ThreadPerClient implements ServerMode {
	readonly name: ModeName;
	readonly budget: WorkerBudget;
	readonly #context: ModeContext;
	readonly #server: net.Server;
	readonly #sockets = new Set<Socket>();
	readonly #threads = new Set<EchoThread>();
	readonly #gate = new SpawnGate();
	readonly #spares: Spares<EchoThread>;
	/** Ends sockets whose client left while they waited at the gate: paused, they would never see it. */
	readonly #watch = new PeerWatch();

	constructor(context: ModeContext) {
		this.name = context.name;
		this.#context = context;
		this.budget = workerBudget(THREAD_COST, context.settings().maxWorkers);
		this.#server = net.createServer({pauseOnConnect: true}, (socket) => this.#accept(socket));
		this.#spares = new Spares<EchoThread>(
			{
				what: 'spare threads',
				floor: SPARE_THREADS,
				limit: this.budget.limit,
				emit: context.emit,
				count: () => this.#threads.size,
				start: () => this.#startThread(),
				ready: async (thread) => {
					await thread.ready;
					return this.#threads.has(thread);
				},
				retire: (thread) => void thread.terminate(),
			},
			this.#gate,
		);
	}

	async start(): Promise<number> {
		const {config, emit} = this.#context;
		const port = await listen(
			this.#server,
			config.host,
			config.port,
			this.#context.backlog,
			acceptErrors(emit),
		);
		this.#spares.start();
		emit({
			type: 'log',
			level: 'info',
			text: `${SPARE_THREADS} spare threads started ahead, so a newcomer need not wait for a thread to start`,
			at: Date.now(),
		});
		return port;
	}

	async stop(): Promise<void> {
		this.#spares.stop();
		this.#gate.clear();
		this.#watch.stop();
		// Served sockets close when their thread is done with them (EchoThread.terminate).
		const served = new Set([...this.#threads].map((thread) => thread.socket));
		const closed = closeServer(
			this.#server,
			[...this.#sockets].filter((socket) => !served.has(socket)),
		);
		await Promise.all([...this.#threads].map((thread) => thread.terminate()));
		await closed;
	}

	crashWorker(): string | null {
		// A thread with a client: crashing a spare would show nothing.
		const thread = [...this.#threads].find((candidate) => candidate.connection !== null);
		if (!thread) return null;
		thread.crash();
		return `thread #${thread.ref.id}`;
	}

	configure(next: ServerSettings): void {
		for (const thread of this.#threads) thread.configure(next);
	}

	#startThread(connection?: number): EchoThread {
		const thread = EchoThread.forMode(this.#context, {
			...(connection === undefined ? {} : {connection}),
			onExit: () => {
				this.#threads.delete(thread);
				this.#spares.ended(thread);
			},
		});
		this.#threads.add(thread);
		return thread;
	}

	/** A new connection: takes a spare, or waits at the gate for a thread of its own. */
	#accept(socket: Socket): void {
		const {admit, emit, nextConnectionId} = this.#context;
		if (!admit(socket)) return;
		if (this.#threads.size - this.#spares.count + this.#gate.waiting >= this.budget.limit) {
			refuseOverBudget(socket, this.budget, emit);
			return;
		}
		const id = nextConnectionId();
		this.#sockets.add(socket);
		ignoreSocketErrors(socket);
		let thread = this.#spares.take();
		const queued = !thread && !this.#gate.isFree;
		socket.once('close', () => {
			this.#sockets.delete(socket);
			this.#watch.delete(socket);
			if (thread || queued) emit({type: 'conn-close', id, at: Date.now()});
			thread?.detach();
			void thread?.terminate();
		});
		if (thread) {
			this.#serve(id, socket, thread, false);
			return;
		}
		if (queued) announceOnMain(emit, socket, id, true);
		this.#watch.add(socket);
		this.#gate.enter(socket, async () => {
			this.#watch.delete(socket);
			const started = this.#startThread(id);
			thread = started;
			this.#serve(id, socket, started, queued);
			await started.ready;
		});
	}

	/** Serves connection `id` on `thread` from now on. */
	#serve(id: number, socket: Socket, thread: EchoThread, queued: boolean): void {
		announceServed(this.#context.emit, socket, id, thread.ref, queued);
		thread.attach(id, socket);
	}
}

export const createThreadMode: ModeFactory = (context) => new ThreadPerClient(context);

export const threadMode: ModeEntry = {
	summary: 'a worker thread per client, ended when it leaves; 16 spares kept started',
	backlog: 5,
	benchBacklog: 511,
	// Each client's thread, and the spares it keeps started ahead.
	memory: (clients) => (clients + SPARE_THREADS) * THREAD_COST_BYTES,
	fdCost: FDS_PER_CONNECTION,
	tutorial: {
		scalability: 'Medium (~100s)',
		complexity: 'Low',
		bestFor: 'I/O-bound, simple code',
		from: 'table',
	},
	create: createThreadMode,
};
