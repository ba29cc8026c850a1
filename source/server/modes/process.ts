import type {ChildProcess} from 'node:child_process';
import net, {type Socket} from 'node:net';
import {performance} from 'node:perf_hooks';
import type {ChildCommand, ChildReport, ServerSettings, WorkerRef} from '../protocol.js';
import {acceptErrors, formatAddress, ignoreSocketErrors, refuseOverBudget} from '../connection.js';
import {listen} from '../listen.js';
import {announceOnMain} from '../main-thread.js';
import {PeerWatch} from '../peer-watch.js';
import {SpawnGate, startLimit} from '../spawn-gate.js';
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

/**
 * Spares grow with the arrival rate, as Apache prefork's do: the most newcomers BURST_SECONDS brought
 * (within the budget) is how many spares are kept from then on, because a `node` child costs a core
 * 100-150 ms to start (bench/child-start.ts), so 84 newcomers beyond 16 spares wait 6 s or more for
 * children started after they came, however those starts are scheduled. After SHRINK_AFTER_MS with
 * no newcomer the target falls back towards SPARE_CHILDREN one spare a second, and the spare above it
 * ends, as Apache ends one idle child a second above MaxSpareServers.
 */
export const SHRINK_AFTER_MS = 60_000;
/**
 * Newcomers are counted over this many seconds: a busy server accepts a burst over a few turns of its
 * loop (100 clients at once were accepted over 2-3 s at load 20), and it is the burst that the spares
 * must cover.
 */
const BURST_SECONDS = 5;
/** How often the spares are looked after (Apache's perform_idle_server_maintenance runs each second). */
const MAINTENANCE_MS = 1000;

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
	/** Started (ready or starting), serving no one yet, oldest first. */
	readonly #spares: Child[] = [];
	/** Sockets not yet handed over to their child. */
	readonly #pending = new Set<Socket>();
	readonly #gate = new SpawnGate();
	readonly #watch = new PeerWatch();
	#running = false;
	/** Read when a child ends, not when it starts: stop() may come in between. */
	#stopping = false;
	/** Spares waiting at the gate for a start slot, not yet forked. */
	#sparesQueued = 0;
	/** Spares queued or started and not yet ready. */
	#sparesStarting = 0;
	/** Spares to keep: SPARE_CHILDREN, or more after a second that brought more newcomers. */
	#spareTarget = SPARE_CHILDREN;
	/**
	 * Spares started at once: 1, doubled each second while spares are short of the target (up to the
	 * gate's limit), back to 1 once they are not, as Apache's idle_spawn_rate.
	 */
	#spawnRate = 1;
	/** Newcomers in each of the last BURST_SECONDS seconds (this one last), those of this second that found no spare, and when the last came. */
	readonly #arrivals: number[] = [0];
	#missed = 0;
	#lastArrival = 0;
	#maintenance: NodeJS.Timeout | undefined;
	/** Resolves once the spares are all ready (or none will start). */
	readonly #sparesUp: Promise<void>;
	#markSparesUp = () => {};

	constructor(context: ModeContext) {
		this.name = context.name;
		this.#context = context;
		this.budget = workerBudget(PROCESS_COST, context.settings().maxWorkers);
		this.#server = net.createServer({pauseOnConnect: true}, (socket) => this.#accept(socket));
		this.#sparesUp = new Promise((resolve) => {
			this.#markSparesUp = resolve;
		});
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
		this.#spareTarget = Math.min(SPARE_CHILDREN, this.budget.limit);
		if (this.#running) {
			this.#maintenance = setInterval(() => this.#maintain(), MAINTENANCE_MS);
			this.#maintenance.unref();
		}
		this.#topUp();
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
		await this.#sparesUp;
	}

	async stop(): Promise<void> {
		this.#running = false;
		this.#stopping = true;
		clearInterval(this.#maintenance);
		this.#spares.length = 0;
		this.#markSparesUp();
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
		const serving = this.#children.size - this.#spares.length;
		if (serving + this.#gate.waiting >= this.budget.limit) {
			refuseOverBudget(socket, this.budget, emit);
			return;
		}
		const id = nextConnectionId();
		ignoreSocketErrors(socket);
		this.#arrivals[this.#arrivals.length - 1]!++;
		this.#lastArrival = performance.now();
		const spare = this.#spares.shift();
		if (!spare) this.#missed++;
		if (spare) {
			this.#give(spare, id, socket, false);
			this.#topUp();
			return;
		}
		const queued = !this.#gate.isFree;
		const markStarted = queued ? waitInLine(this.#context, this.#watch, socket, id) : () => {};
		this.#gate.enter(socket, () => {
			markStarted();
			this.#watch.delete(socket);
			return this.#startFor(id, socket, queued);
		});
		// The spare that was starting may have died: one starts again once there is room.
		this.#topUp();
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

	/**
	 * Keeps #spareTarget spares started, within the budget and through the gate, #spawnRate at a
	 * time: each start takes a core for 100-150 ms from the children serving the clients that just
	 * took spares, so they start one at a time unless newcomers keep finding none.
	 */
	#topUp(): void {
		if (!this.#running) return;
		while (
			this.#sparesStarting < this.#spawnRate &&
			this.#spares.length + this.#sparesQueued < this.#spareTarget &&
			this.#hasRoom()
		) {
			this.#sparesQueued++;
			this.#sparesStarting++;
			this.#gate.enter(null, async () => {
				// Asked again: newcomers that found no spare may have started children meanwhile.
				this.#sparesQueued--;
				const spare = this.#running && this.#hasRoom() ? this.#fork() : undefined;
				if (spare) {
					this.#spares.push(spare);
					await spare.ready;
				}
				this.#sparesStarting--;
				// A spare that could not start (or found no room) is not retried at once: the next
				// newcomer, ending child or maintenance tick tries again.
				if (spare?.isReady) this.#topUp();
				else this.#markSparesUp();
				this.#checkSparesUp();
			});
		}
		this.#checkSparesUp();
	}

	/** The first spares are up (or no more can start): the model runs as it will. */
	#checkSparesUp(): void {
		const ready = this.#spares.filter((spare) => spare.isReady).length;
		if (ready >= Math.min(SPARE_CHILDREN, this.budget.limit) || !this.#hasRoom()) {
			this.#markSparesUp();
		}
	}

	/**
	 * Each second, as Apache's idle-server maintenance: the spare target follows the arrival rate up
	 * and, after SHRINK_AFTER_MS without newcomers, comes down one a second, ending a spare above it.
	 */
	#maintain(): void {
		const {limit} = this.budget;
		const floor = Math.min(SPARE_CHILDREN, limit);
		const burst = this.#arrivals.reduce((sum, count) => sum + count, 0);
		if (burst > this.#spareTarget && this.#spareTarget < limit) {
			this.#spareTarget = Math.min(limit, burst);
			this.#context.emit({
				type: 'log',
				level: 'info',
				text: `${burst} newcomers within ${BURST_SECONDS} s: ${this.#spareTarget} spare children kept from now on (back to ${floor} after ${SHRINK_AFTER_MS / 1000} s without newcomers)`,
				at: Date.now(),
			});
		} else if (
			this.#spareTarget > floor &&
			performance.now() - this.#lastArrival > SHRINK_AFTER_MS
		) {
			this.#spareTarget--;
			const extra = this.#spares.length > this.#spareTarget ? this.#spares.pop() : undefined;
			// Its channel closed, a spare exits 0 by itself: an expected end, and no replacement.
			if (extra?.process.connected) extra.process.disconnect();
		}
		// Short of spares (newcomers found none, or will): more start at once, doubling each second.
		const short = this.#missed > 0 || this.#spares.length + this.#sparesQueued < this.#spareTarget;
		this.#spawnRate = short ? Math.min(this.#spawnRate * 2, startLimit()) : 1;
		this.#arrivals.push(0);
		if (this.#arrivals.length > BURST_SECONDS) this.#arrivals.shift();
		this.#missed = 0;
		this.#topUp();
	}

	/** Room for one more child in the budget, besides those started and the newcomers waiting to start theirs. */
	#hasRoom(): boolean {
		return this.#children.size + this.#gate.waiting + this.#sparesQueued < this.budget.limit;
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
		if (queued) emit({type: 'conn-serve', id, by: child.ref, at: Date.now()});
		else {
			const peer = formatAddress(socket.remoteAddress, socket.remotePort);
			emit({type: 'conn-open', id, peer, state: 'active', by: child.ref, at: Date.now()});
		}
		emit({type: 'worker-busy', worker: child.ref, connection: id, at: Date.now()});
		if (child.isReady) this.#handOver(child);
	}

	/**
	 * Sends the client's socket to its child, once the child says it is ready. Sent at once, as before,
	 * a socket whose client left while several children were starting under load left children that
	 * never ended (5 of 6 in a repro, none after this change); why, inside Node's handle passing, is not
	 * pinned down.
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
		forked.send(command, socket, (error) => {
			this.#pending.delete(socket);
			if (error) forked.kill('SIGKILL');
		});
	}

	/** The child ended: so did its connection (if it had one), and a spare starts in its place. */
	#exited(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
		const {emit} = this.#context;
		this.#children.delete(child);
		const spare = this.#spares.indexOf(child);
		if (spare !== -1) this.#spares.splice(spare, 1);
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
		// One that never started is not replaced here, or a child that cannot start would fork forever.
		if (child.isReady) this.#topUp();
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
