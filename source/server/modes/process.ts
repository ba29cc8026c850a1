import type {ChildProcess} from 'node:child_process';
import net, {type Socket} from 'node:net';
import {performance} from 'node:perf_hooks';
import type {ChildCommand, ChildReport, ServerSettings, WorkerRef} from '../protocol.js';
import {acceptErrors, ignoreSocketErrors, refuseOverBudget} from '../connection.js';
import {listen} from '../listen.js';
import {announceOnMain, announceServed} from '../main-thread.js';
import {PeerWatch} from '../peer-watch.js';
import {SpawnGate} from '../spawn-gate.js';
import {Spares} from '../spares.js';
import {
	PROCESS_COST_BYTES,
	workerBudget,
	type ModeContext,
	type ModeEntry,
	type ModeFactory,
	type ModeName,
	type ServerMode,
	type WorkerBudget,
} from '../mode.js';
import {
	emitChildDown,
	emitChildUp,
	endChild,
	forkChild,
	handOver,
	READY_TIMEOUT_MS,
	relayConnectionReport,
} from '../serving-child.js';

/** File descriptors one connection costs the server: A socket, and the IPC channel to the child kept open while it serves. */
const FDS_PER_CONNECTION = 2;

/**
 * About 42 MB of RSS per child (8.5 MB of it private); 50 MB keeps a margin. 16 a core: a child
 * costs a core 80-150 ms to start, and 110 children on 2 cores took 4.5 GB.
 */
export const PROCESS_COST = {
	what: 'child processes',
	bytes: PROCESS_COST_BYTES,
	perCore: 16,
	fds: FDS_PER_CONNECTION,
} as const;

/**
 * Children started ahead of need, as Apache keeps MinSpareServers: a `node` child takes about
 * 150 ms to start alone and about 1.1 s when 14 start at once on two cores (design.md), so
 * newcomers that each waited for their own child waited that long. A newcomer takes a spare, which
 * serves it alone and ends with it, and a new spare starts behind it; each client still has a
 * process of its own. 16 covers the 14 clients of the tutorial's burst with two to spare. An idle
 * spare costs about 8.5 MB of private memory (42 MB RSS, most of it the node binary's pages shared
 * with the others) and no CPU (it runs no timer until it serves); spares count in the budget, so
 * they never make the model refuse a client it would otherwise serve. Shown as children serving
 * no one.
 */
export const SPARE_CHILDREN = 16;

/** One child of process per client. */
type Child = {
	readonly process: ChildProcess;
	readonly ref: Extract<WorkerRef, {kind: 'process'}>;
	readonly spawnedAt: number;
	/** The connection it serves; undefined while it is a spare. */
	connection: {readonly id: number; readonly socket: Socket} | undefined;
	/** It said it is ready (its modules are loaded and it waits for a socket). */
	isReady: boolean;
	/** Settles once it is ready, or gone. */
	readonly ready: Promise<void>;
	/** Settles once it owns its socket (or is gone): stop never kills a child mid-handover and strands the socket. */
	handedOver: Promise<void>;
};

/**
 * The tutorial's multiprocessing server: a child process per client. The socket is passed to the
 * child as a handle (the parent's copy closes once sent), so the child alone owns it; killing the
 * child ends that client's connection and nobody else's. A newcomer takes a spare child started
 * ahead; with none left, children start a few at a time (SpawnGate), and a client that leaves
 * before its child starts never costs one.
 */
class ProcessPerClient implements ServerMode {
	readonly name: ModeName;
	readonly budget: WorkerBudget;
	readonly #context: ModeContext;
	readonly #server: net.Server;
	readonly #children = new Set<Child>();
	/** Sockets not yet handed over to their child. */
	readonly #pending = new Set<Socket>();
	readonly #gate = new SpawnGate();
	readonly #watch = new PeerWatch();
	#running = false;
	/** Read when a child ends, not when it starts: stop() may come in between. */
	#stopping = false;
	readonly #spares: Spares<Child>;

	constructor(context: ModeContext) {
		this.name = context.name;
		this.#context = context;
		this.budget = workerBudget(PROCESS_COST, context.settings().maxWorkers);
		this.#server = net.createServer({pauseOnConnect: true}, (socket) => this.#accept(socket));
		this.#spares = new Spares<Child>(
			{
				what: 'spare children',
				floor: SPARE_CHILDREN,
				limit: this.budget.limit,
				emit: context.emit,
				count: () => this.#children.size,
				start: () => this.#fork(),
				ready: async (child) => {
					await child.ready;
					return child.isReady;
				},
				// Its channel closed, a spare exits 0 by itself: an expected end, and no replacement.
				retire: (child) => {
					if (child.process.connected) child.process.disconnect();
				},
			},
			this.#gate,
		);
	}

	async start(): Promise<number> {
		const {config, emit} = this.#context;
		const onAcceptError = acceptErrors(emit);
		const port = await listen(
			this.#server,
			config.host,
			config.port,
			this.#context.backlog,
			onAcceptError,
		);
		// Stopped while it began listening: no spare may start after stop.
		this.#running = !this.#stopping;
		if (this.#running) this.#spares.start();
		const count = Math.min(SPARE_CHILDREN, this.budget.limit);
		emit({
			type: 'log',
			level: 'info',
			text: `${count} spare child processes started ahead, so a newcomer need not wait for one to start`,
			at: Date.now(),
		});
		return port;
	}

	/** Resolves once the spares are up: the model as it runs, not as it starts. */
	async accepting(): Promise<void> {
		await this.#spares.up;
	}

	async stop(): Promise<void> {
		this.#running = false;
		this.#stopping = true;
		this.#spares.stop();
		this.#gate.clear();
		this.#watch.stop();
		// Sockets sent to a child leave the server's connection count unbalanced, so close()'s
		// callback may never come; the listener itself is closed at once all the same.
		for (const socket of this.#pending) socket.destroy();
		if (this.#server.listening) this.#server.close();
		await Promise.all(
			[...this.#children].map(async (child) => {
				await child.handedOver;
				await endChild(child.process);
			}),
		);
	}

	crashWorker(): string | null {
		// A child with a client: killing a spare would show nothing.
		const child = [...this.#children].find((candidate) => candidate.connection !== undefined);
		if (!child) return null;
		child.process.kill('SIGKILL');
		return `pid ${child.ref.pid}`;
	}

	configure(next: ServerSettings): void {
		const command: ChildCommand = {type: 'settings', settings: next};
		for (const child of this.#children) if (child.process.connected) child.process.send(command);
	}

	/** A new connection: takes a spare, or waits at the gate for a child of its own. */
	#accept(socket: Socket): void {
		const {admit, emit, nextConnectionId} = this.#context;
		if (!admit(socket)) return;
		// Spares serve no one: they are room for newcomers, not clients counted against the budget.
		const serving = this.#children.size - this.#spares.count;
		if (serving + this.#gate.waiting >= this.budget.limit) {
			refuseOverBudget(socket, this.budget, emit);
			return;
		}
		const id = nextConnectionId();
		ignoreSocketErrors(socket);
		const spare = this.#spares.take();
		if (spare) {
			this.#give(spare, id, socket, false);
			return;
		}
		const queued = !this.#gate.isFree;
		const markStarted = queued ? waitInLine(this.#context, this.#watch, socket, id) : () => {};
		this.#gate.enter(socket, () => {
			markStarted();
			this.#watch.delete(socket);
			return this.#startFor(id, socket, queued);
		});
	}

	/** Forks the child of connection `id`; settles once it owns the socket (or is gone). */
	#startFor(id: number, socket: Socket, queued: boolean): Promise<void> {
		const child = this.#fork();
		if (!child) {
			socket.destroy();
			if (queued) this.#context.emit({type: 'conn-close', id, at: Date.now()});
			return Promise.resolve();
		}
		this.#give(child, id, socket, queued);
		return child.handedOver;
	}

	/** Forks a child, serving no one until given a connection; undefined if it could not start. */
	#fork(): Child | undefined {
		let forked: ChildProcess;
		try {
			forked = forkChild();
		} catch {
			// Thrown for some spawn errors (ENOMEM): no child, as when it fails to start.
			return undefined;
		}
		const pid = forked.pid;
		forked.on('error', () => {});
		if (pid === undefined) return undefined;
		let markReady = () => {};
		const child: Child = {
			process: forked,
			ref: {kind: 'process', pid},
			spawnedAt: performance.now(),
			connection: undefined,
			isReady: false,
			ready: new Promise<void>((resolve) => {
				markReady = resolve;
			}),
			handedOver: Promise.resolve(),
		};
		this.#children.add(child);
		// One that never says ready (stopped, or stuck loading) would hold its start slot for good.
		const deadline = setTimeout(() => {
			this.#context.emit({
				type: 'log',
				level: 'warn',
				text: `pid ${pid} did not start within ${READY_TIMEOUT_MS / 1000} s: killed`,
				at: Date.now(),
			});
			forked.kill('SIGKILL');
		}, READY_TIMEOUT_MS);
		forked.on('message', (report: ChildReport) => {
			if (relayConnectionReport(this.#context, report, () => child.connection?.id)) return;
			// A report can come after 'exit': the child is gone, whatever it said last.
			if (report.type !== 'ready' || !this.#children.has(child)) return;
			clearTimeout(deadline);
			child.isReady = true;
			markReady();
			emitChildUp(this.#context, child.ref, child.connection?.id ?? null, child.spawnedAt);
			if (child.connection) this.#handOver(child);
		});
		forked.once('exit', (code, signal) => {
			clearTimeout(deadline);
			markReady();
			this.#exited(child, code, signal);
		});
		return child;
	}

	/** Gives connection `id` to `child` (a spare, or one started for it), which serves it from now on. */
	#give(child: Child, id: number, socket: Socket, queued: boolean): void {
		const {emit} = this.#context;
		child.connection = {id, socket};
		child.handedOver = ownsSocket(child.process);
		this.#pending.add(socket);
		announceServed(emit, socket, id, child.ref, queued);
		emit({type: 'worker-busy', worker: child.ref, connection: id, at: Date.now()});
		if (child.isReady) this.#handOver(child);
	}

	/**
	 * Sends the client's socket to its child, once the child says it is ready (handOver says how our
	 * copy is closed). Sent at once, as before, a socket whose client left while several children were
	 * starting under load left children that never ended (5 of 6 in a repro, none after this change).
	 */
	#handOver(child: Child): void {
		const {config, settings} = this.#context;
		const {process: forked, connection} = child;
		if (!connection || !forked.connected) return;
		const {id, socket} = connection;
		const command: ChildCommand = {
			type: 'socket',
			id,
			handler: config.handler,
			settings: settings(),
		};
		handOver(forked, command, socket, (error) => {
			this.#pending.delete(socket);
			if (error) forked.kill('SIGKILL');
		});
	}

	/** The child ended: so did its connection (if it had one), and a spare starts in its place. */
	#exited(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
		const {emit} = this.#context;
		this.#children.delete(child);
		const {connection} = child;
		if (connection) {
			this.#pending.delete(connection.socket);
			connection.socket.destroy();
			emit({type: 'conn-close', id: connection.id, at: Date.now()});
		}
		const expected = this.#stopping || code === 0;
		const reason = emitChildDown(this.#context, child.ref, {code, signal}, expected);
		if (!expected) {
			const lost = connection
				? `only connection #${connection.id} was lost`
				: 'a spare, serving no one';
			emit({
				type: 'log',
				level: 'warn',
				text: `pid ${child.ref.pid} ended (${reason}): ${lost}`,
				at: Date.now(),
			});
		}
		this.#spares.ended(child);
	}
}

export const createProcessMode: ModeFactory = (context) => new ProcessPerClient(context);

/**
 * Shows a connection waiting for its turn to start a child as queued in line. Paused, it would never
 * see its client leave: the kernel is asked instead. Returns what marks it started.
 */
function waitInLine(
	{emit}: Pick<ModeContext, 'emit'>,
	watch: PeerWatch,
	socket: Socket,
	id: number,
): () => void {
	let started = false;
	watch.add(socket);
	announceOnMain(emit, socket, id, true);
	socket.once('close', () => {
		watch.delete(socket);
		if (!started) emit({type: 'conn-close', id, at: Date.now()});
	});
	return () => {
		started = true;
	};
}

/** Settles once the child says it owns its socket, or has ended, or after 5 s. */
function ownsSocket(child: ChildProcess): Promise<void> {
	return new Promise<void>((resolve) => {
		const timer = setTimeout(resolve, 5000);
		const done = () => {
			clearTimeout(timer);
			resolve();
		};
		child.on('message', (report: ChildReport) => {
			if (report.type === 'owned') done();
		});
		child.once('exit', done);
	});
}

export const processMode: ModeEntry = {
	summary: 'a child process per client, owning its socket; 16 spares kept started',
	backlog: 5,
	benchBacklog: 511,
	// Each client's child, and the spares it keeps started ahead.
	memory: (clients) => (clients + SPARE_CHILDREN) * PROCESS_COST_BYTES,
	fdCost: FDS_PER_CONNECTION,
	tutorial: {
		scalability: 'Medium',
		complexity: 'Medium',
		bestFor: 'CPU-bound, isolation needed',
		from: 'table',
	},
	create: createProcessMode,
};
