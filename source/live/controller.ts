import {Listeners} from '../shared/listeners.js';
import {ClientFleet} from '../clients/fleet.js';
import {Clocks} from '../shared/clocks.js';
import {
	ALL_ACTIONS,
	DONE,
	refused,
	type Action,
	type ActionResult,
	type DashboardSource,
	type SourceCapabilities,
} from '../metrics/source.js';
import {systemCollector, type SystemCollector} from '../collectors/system.js';
import {MAX_SERVER_SIDE, peerName, readKernelWaits} from '../collectors/waits.js';
import {joinThreads} from '../collectors/figures.js';
import {readConnections, readListeners} from '../collectors/sockets.js';
import type {EventLine, OsFigures, ProcessFigures, Snapshot} from '../metrics/snapshot.js';
import {MetricsStore, type ConnectionWindow} from '../metrics/store.js';
import {sameWindow} from '../metrics/connection-view.js';
import {clientHost} from '../options/hosts.js';
import {type Options} from '../options/options.js';
import type {ClientReport, ServerSettings} from '../server/protocol.js';
import {MODE_NAMES, type ModeName, type ServerConfig} from '../server/mode.js';
import {createRunner, type ServerRunner} from '../server/runner.js';
import {poolResizeRefusal, poolSizeRefusal} from '../server/pool-budget.js';
import {MAX_CLIENTS} from '../options/options.js';
import {
	MAX_DELAY_MS,
	MAX_WORK_MS,
	settingsFromOptions,
	stepMs,
	stepPoolSize,
} from '../server/settings.js';

export type ControllerTiming = {
	/** How often a snapshot is published (counts, rows, ages). */
	readonly tickMs: number;
	/** The rate period: messages/s, bytes/s and round-trip percentiles cover this much time. */
	readonly rollMs: number;
	readonly procMs: number;
	readonly hostMs: number;
};

/**
 * One frame a second, as rates change: an idle dashboard spent most of its CPU drawing frames, and
 * numbers that change faster than they can be read are noise (and bytes over SSH). Key presses
 * publish at once, between ticks.
 */
export const DEFAULT_TIMING: ControllerTiming = {
	tickMs: 1000,
	rollMs: 1000,
	procMs: 1000,
	hostMs: 2000,
};

/**
 * After `c`/`x`, the test-client process reports at once and again when the new clients connected;
 * those reports are published as they come for this long, so the key's effect is on screen at once.
 */
const SHOW_REPORTS_MS = 500;

/**
 * A server process silent this long (it reports every HEARTBEAT_MS) is stopped or hung: the panel
 * and the event log say so.
 */
export const NOT_RESPONDING_MS = 2000;

/**
 * The one place that acts: owns the server, the test clients, the store and the collectors, carries
 * out actions one at a time, and publishes a snapshot on every tick.
 */
export class Controller implements DashboardSource {
	readonly #options: Options;
	readonly #timing: ControllerTiming;
	readonly #store: MetricsStore;
	#server: ServerRunner;
	readonly #config: ServerConfig;
	/** What was changed live, so a server process started later gets it too. */
	#settings: ServerSettings;
	readonly #fleet: ClientFleet;
	/** The server's processes and the machine: /proc, or systeminformation where there is none. */
	readonly #system: SystemCollector;
	readonly #snapshots = new Listeners<Snapshot>();
	readonly #roundTrips = new Listeners<readonly number[]>();
	readonly #clientReports = new Listeners<ClientReport>();
	readonly #clocks = new Clocks((error) => this.#collectorFailed(error));
	#window: ConnectionWindow = {offset: 0, limit: 20};
	/** Since when the server process has said nothing, once that counts as not responding. */
	#silentSince: number | null = null;
	#snapshot: Snapshot;
	#mode: ModeName;
	/** Actions run one after another: a switch finishes before the next key is carried out. */
	#queue: Promise<void> = Promise.resolve();
	/** The kernel's figures as last read: /proc by every tick, the accept queue when its `ss` answers. */
	#os: OsFigures = {processes: [], acceptQueue: null};
	/**
	 * The collector has read the processes: until then the snapshot has no kernel figures (null), not
	 * an empty tree, which would read as no processes and 0 threads.
	 */
	#processesRead = false;
	/** The accept queue's `ss` is under way. */
	#askingQueue = false;
	/**
	 * What `ss` said each socket inode a thread was seen on is: a connection's peer, the listener, or
	 * null (not a socket of the server's port). An inode names one socket while it lives, so `ss` is
	 * asked again only for one not known yet.
	 */
	#sockets = new Map<number, string | null>();
	/** `ss` failed once (it is said once in the log, not at every tick). */
	#socketsFailed = false;
	/** The sockets' `ss` is under way. */
	#askingSockets = false;
	/** Test clients not added at the cap so far, as the client process last said. */
	#capped = 0;
	/** Until then, client reports publish at once: the effect of `c`/`x` shows without the tick. */
	#showReportsUntil = 0;
	/**
	 * From a model's start to the next tick, its workers' reports publish as they come (each with the
	 * processes read anew): a pool's threads report up one by one in the first tenths of a second.
	 */
	#showServerReports = false;
	/** The collector's load has been started. */
	#loading = false;
	/** A publish of the server's reports is due: the reports of one moment make one frame. */
	#soon: NodeJS.Timeout | undefined;

	/**
	 * `threadStates`: read what each thread is blocked in (the `t` view, the Concurrency panel). It
	 * costs about 0.15 ms of CPU per thread a reading (measured: 80 threads, 15 ms against 3 ms
	 * without), so `compare`, which shows no thread states and measures the models, turns it off.
	 */
	constructor(
		options: Options,
		timing: ControllerTiming = DEFAULT_TIMING,
		{threadStates = true}: {readonly threadStates?: boolean} = {},
	) {
		this.#options = options;
		this.#timing = timing;
		this.#mode = options.mode;
		this.#store = new MetricsStore({
			host: options.host,
			port: options.port,
			handler: options.handler,
		});
		this.#config = {
			host: options.host,
			port: options.port,
			handler: options.handler,
			clusterAccept: options.clusterAccept,
			backlog: options.backlog,
		};
		this.#settings = settingsFromOptions(options);
		this.#server = this.#createRunner(options.placement);
		this.#fleet = new ClientFleet(
			() => ({host: clientHost(options.host), port: this.#server.port}),
			options.rate,
			{
				onReport: (report) => {
					this.#store.applyClients(report);
					this.#reportCapped(report.capped ?? 0);
					if (Date.now() < this.#showReportsUntil) this.#publish();
					this.#roundTrips.tell(report.rttMicros);
					this.#clientReports.tell(report);
				},
				onExit: (code, signal) =>
					this.#store.log(
						Date.now(),
						'error',
						`test-client process ended (${signal ?? `exit ${code}`})`,
					),
			},
		);
		this.#system = systemCollector({
			serverPid: () => this.#server.pid,
			port: () => this.#server.port,
			exclude: () => new Set(this.#fleet.pid === undefined ? [] : [this.#fleet.pid]),
			// What each thread is blocked in and on which fd (the `t` view, the Concurrency panel).
			threads: threadStates,
			activity: threadStates,
		});
		this.#snapshot = this.#store.snapshot(this.#window);
	}

	/** Says in the log when asks for test clients were cut at the cap, at most once a report. */
	#reportCapped(capped: number): void {
		if (capped <= this.#capped) return;
		const cut = capped - this.#capped;
		this.#capped = capped;
		this.#store.log(
			Date.now(),
			'warn',
			`test clients are capped at ${MAX_CLIENTS} for every source (flags, keys, observers): ${cut} not added`,
		);
	}

	get snapshot(): Snapshot {
		return this.#snapshot;
	}

	readonly capabilities: SourceCapabilities = {actions: ALL_ACTIONS, otherwise: '', quit: 'stop'};

	get port(): number {
		return this.#server.port;
	}

	/** The process the server runs in (the dashboard's own in-process); null while it is down. */
	get serverPid(): number | null {
		return this.#server.pid;
	}

	/** Listens (a ListenError if it cannot), opens the first test clients and starts the clocks. */
	async start(): Promise<void> {
		await this.#server.start(this.#mode);
		this.#store.setPlacement(this.#server.placement, this.#server.pid);
		if (this.#options.clients > 0) this.#fleet.add(this.#options.clients);
		// The first /proc reading is awaited, so the first snapshot already shows threads, processes,
		// RSS and the accept queue rather than blanks. The machine's CPU share needs a longer span than
		// starting took: the first tick reads it (a screen reads it sooner, see refresh).
		await this.#readKernel();
		// One clock: a tick that closes a rate period rolls first, so the frame shows the new rates.
		let rolledAt = Date.now();
		let readAt = rolledAt;
		let hostAt = -Infinity;
		const tick = async () => {
			const now = Date.now();
			this.#loadCollector();
			const early = this.#timing.tickMs / 2;
			if (now - rolledAt >= this.#timing.rollMs - early) {
				this.#store.roll(now);
				rolledAt = now;
			}
			this.#checkResponding(now);
			// The kernel is read by the tick that publishes it: a reading on a clock of its own was up
			// to a tick old when published, and a figure lagged the kernel by two ticks and more.
			if (now - readAt >= this.#timing.procMs - early) {
				readAt = now;
				await this.#readKernel();
			}
			if (now - hostAt >= this.#timing.hostMs - early) {
				hostAt = now;
				await this.#readHost();
			}
			this.#showServerReports = false;
			this.#publish();
		};
		this.#clocks.every(this.#timing.tickMs, () => void tick());
		this.#publish();
	}

	/**
	 * Reads the server's processes and the machine now and publishes: a screen that took a while to
	 * load (Ink) shows the figures of the moment it first draws, and CPU shares over the time it took.
	 * The accept queue is the one `ss` gave as the server started: another `ss` is a fork, which on a
	 * busy machine blocks this process until the child runs.
	 */
	async refresh(): Promise<void> {
		await this.#readProcesses();
		await this.#readHost();
		if (!this.#clocks.isStopped) this.#publish();
	}

	/**
	 * At the first tick, after the first frame: loads what the collector needs (systeminformation,
	 * tenths of a second), then reads and publishes at once rather than a tick later.
	 */
	#loadCollector(): void {
		const load = this.#system.load;
		if (load === undefined || this.#loading) return;
		this.#loading = true;
		load().then(
			() => this.refresh(),
			(error: unknown) => this.#collectorFailed(error),
		);
	}

	/** An arrow, so React's useSyncExternalStore can take it as it is. */
	readonly subscribe = this.#snapshots.add;

	/** Every round trip the test clients complete (µs), as reported: for exporters with histograms of their own. */
	readonly onRoundTrips = this.#roundTrips.add;

	/** Every report of the test-client process as it arrives: each client's phase and first reply. */
	readonly onClientReport = this.#clientReports.add;

	/** The test-client process (the load), apart from the server's tree; undefined until it starts. */
	get clientPid(): number | undefined {
		return this.#fleet.pid;
	}

	/** A snapshot for another viewer's window (an attached observer), without moving this one's. */
	snapshotFor(window: ConnectionWindow): Snapshot {
		return this.#store.snapshot(window);
	}

	/** The rows the screen has room for; bounds the work of every snapshot. Shown at once, if they changed. */
	setWindow(window: ConnectionWindow): void {
		if (sameWindow(window, this.#window)) return;
		this.#window = window;
		this.#publish();
	}

	dispatch(action: Action): Promise<ActionResult> {
		const result = this.#queue
			.then(async () => this.#carryOut(action))
			.catch((error: unknown) => {
				const why = error instanceof Error ? error.message : String(error);
				this.#store.log(Date.now(), 'error', why);
				return refused(why);
			});
		this.#queue = result.then(() => undefined);
		return result;
	}

	/** Calls `listener` with every line of the event log as it happens (serve prints them). */
	onEvent(listener: (line: EventLine) => void): () => void {
		return this.#store.onLog(listener);
	}

	/** Adds a line to the event log. */
	log(level: 'info' | 'warn' | 'error', text: string): void {
		this.#store.log(Date.now(), level, text);
	}

	/** Ends the clients, the server and the clocks; safe to call more than once. */
	async stop(): Promise<void> {
		if (!this.#clocks.stop()) return;
		clearTimeout(this.#soon);
		await Promise.all([this.#fleet.stop(), this.#server.stop()]);
	}

	async #carryOut(action: Action): Promise<ActionResult> {
		if (this.#clocks.isStopped) return refused('the dashboard is stopping');
		const why = await this.#perform(action);
		if (why !== null) return refused(why);
		this.#publish();
		return DONE;
	}

	/** Does what `action` asks; returns why it cannot, or null. */
	async #perform(action: Action): Promise<string | null> {
		switch (action.type) {
			case 'add-clients':
			case 'drop-clients': {
				if (action.type === 'add-clients') this.#fleet.add(action.count);
				else this.#fleet.drop(action.count);
				this.#showReportsUntil = Date.now() + SHOW_REPORTS_MS;
				return null;
			}
			case 'next-mode': {
				await this.#switch(MODE_NAMES[(MODE_NAMES.indexOf(this.#mode) + 1) % MODE_NAMES.length]!);
				return null;
			}
			case 'set-mode': {
				if (action.mode !== this.#mode) await this.#switch(action.mode);
				return null;
			}
			case 'toggle-placement': {
				await this.#togglePlacement();
				return null;
			}
			case 'restart-server': {
				if (this.#server.pid !== null && this.#server.placement === 'worker')
					return 'the server is running: R restarts it after its process died';
				await this.#restart();
				return null;
			}
			case 'resize-pool': {
				const outside = poolResizeRefusal(this.#mode);
				if (outside !== null) return outside;
				const change = settingsChange(action, this.#settings);
				const overBudget = poolSizeRefusal(change.poolSize!, this.#settings.maxWorkers);
				if (overBudget && action.by > 0) return overBudget;
				this.#configure(change);
				return null;
			}
			case 'crash-worker': {
				return this.#crashWorker();
			}
			default: {
				this.#configure(settingsChange(action, this.#settings));
				return null;
			}
		}
	}

	/** Moves the server into its own process, or back into the dashboard's. */
	async #togglePlacement(): Promise<void> {
		const next = this.#server.placement === 'in-process' ? 'worker' : 'in-process';
		this.#store.log(
			Date.now(),
			'info',
			`moving the server ${next === 'worker' ? 'into its own process' : 'into the dashboard'}`,
		);
		await this.#server.stop();
		this.#store.clearConnections();
		this.#server = this.#createRunner(next);
		await this.#restart();
	}

	/** Crashes a worker thread or child process; returns why not when the model has none. */
	#crashWorker(): string | null {
		const {workers} = this.#store.snapshot({offset: 0, limit: 0});
		if (workers.threads + workers.processes === 0)
			return `${this.#mode} has no worker thread or child process to crash`;
		this.#server.crashWorker();
		return null;
	}

	#createRunner(placement: Options['placement']): ServerRunner {
		const runner: ServerRunner = createRunner(placement, this.#config, () => this.#settings, {
			emit: (event) => {
				this.#store.apply(event);
				if (this.#showServerReports && (event.type === 'worker-up' || event.type === 'worker-down'))
					this.#publishSoon();
			},
			onCrash: (reason) => {
				if (this.#server !== runner) return;
				this.#store.clearConnections();
				this.#store.setPlacement(runner.placement, null);
				this.#store.log(
					Date.now(),
					'error',
					`server process died (${reason}): restart it with the restart action`,
				);
			},
		});
		return runner;
	}

	/** Starts the current mode on the current runner (a new server process if it is down). */
	async #restart(): Promise<void> {
		await this.#startServer(this.#mode);
	}

	/**
	 * Starts `mode` and shows where the server runs. A server process that could not listen (port
	 * taken) is ended, so the panel's "down" is the truth and the restart action can try again.
	 */
	async #startServer(mode: ModeName): Promise<void> {
		this.#showServerReports = true;
		try {
			await this.#server.start(mode);
		} catch (error) {
			if (this.#server.placement === 'worker') await this.#server.stop().catch(() => {});
			this.#store.setPlacement(this.#server.placement, this.#server.pid);
			throw error;
		}
		this.#store.setPlacement(this.#server.placement, this.#server.pid);
		// The new model's processes and threads, read now: the snapshot that names it (published when
		// the action completes) must not carry the old model's figures until the next tick.
		await this.#readProcesses();
	}

	/** Publishes the server's reports of this moment, with its processes read anew. */
	#publishSoon(): void {
		if (this.#soon !== undefined) return;
		this.#soon = setTimeout(() => {
			void this.#readProcesses().then(() => {
				this.#soon = undefined;
				if (!this.#clocks.isStopped) this.#publish();
			});
		}, 0);
		this.#soon.unref();
	}

	/** Logs when the server process stops reporting (SIGSTOP, a hung loop) and when it resumes. */
	#checkResponding(now: number): void {
		if (this.#server.pid === null) {
			// Down (its end is logged as such) or in-process: nothing to wait for.
			this.#silentSince = null;
			return;
		}
		const silent = this.#server.silentMs(now);
		const stuck = silent >= NOT_RESPONDING_MS;
		const seconds = (ms: number) => (ms / 1000).toFixed(1);
		if (stuck && this.#silentSince === null) {
			this.#silentSince = now - silent;
			this.#store.log(
				now,
				'error',
				`server process ${this.#server.pid} not responding: no report for ${seconds(silent)} s`,
			);
		} else if (!stuck && this.#silentSince !== null) {
			this.#store.log(
				now,
				'info',
				`server process responding again after ${seconds(now - this.#silentSince)} s`,
			);
			this.#silentSince = null;
		}
		this.#store.setNotResponding(stuck ? silent : null);
	}

	#configure(settings: Partial<ServerSettings>): void {
		this.#settings = {...this.#settings, ...settings};
		this.#server.configure(settings);
	}

	async #switch(mode: ModeName): Promise<void> {
		const from = this.#mode;
		this.#store.log(Date.now(), 'info', `switching ${from} → ${mode}`);
		this.#mode = mode;
		await this.#startServer(mode);
	}

	#publish(): void {
		this.#snapshot = this.#store.snapshot(this.#window);
		this.#snapshots.tell(this.#snapshot);
	}

	/**
	 * Reads the server's processes, and the accept queue unless its last `ss` is still under way (a
	 * fork, which on a busy machine can take longer than a tick: /proc is not held back by it). A
	 * failed reading leaves the last figures.
	 */
	async #readKernel(): Promise<void> {
		await this.#readProcesses();
		if (this.#askingQueue) return;
		this.#askingQueue = true;
		try {
			// Awaited first: the processes may have been read again meanwhile, and must not go back.
			// One ss for the accept queue, the backlog and the clients still connecting.
			const {acceptQueue, reading} = await readKernelWaits(
				this.#server.port,
				this.#store.unacceptedClients(MAX_SERVER_SIDE),
			);
			this.#os = {...this.#os, acceptQueue};
			if (this.#processesRead) this.#store.setOs(this.#os);
			this.#store.setKernelWaits(reading);
		} catch (error: unknown) {
			this.#collectorFailed(error);
		} finally {
			this.#askingQueue = false;
		}
	}

	/** The server's processes; none yet while the collector is loading. */
	async #readProcesses(): Promise<void> {
		try {
			const processes = await this.#system.processes();
			if (processes === null) return;
			this.#processesRead = true;
			this.#os = {...this.#os, processes: this.#joinThreads(processes)};
			this.#store.setOs(this.#os);
			if (this.#unknownSockets(processes)) void this.#readSockets();
		} catch (error: unknown) {
			this.#collectorFailed(error);
		}
	}

	/** Each thread's socket joined to its connection row (by the peer `ss` gave) or the listener. */
	#joinThreads(processes: readonly ProcessFigures[]): ProcessFigures[] {
		const ids = this.#store.connectionIdsByPeer();
		return joinThreads(processes, (inode) => {
			const peer = this.#sockets.get(inode);
			if (peer == null) return null;
			if (peer.startsWith('listener ')) return {id: null, peer};
			return {id: ids.get(peer) ?? null, peer};
		});
	}

	#unknownSockets(processes: readonly ProcessFigures[]): boolean {
		return processes.some((process) =>
			(process.tasks ?? []).some(
				(task) => task.activity?.inode != null && !this.#sockets.has(task.activity.inode),
			),
		);
	}

	/**
	 * Asks `ss` for the server's sockets (its listener and connections, with their inodes), then
	 * joins the threads again. Not awaited by the tick: an `ss` is a fork, and /proc is not held
	 * back by it.
	 */
	async #readSockets(): Promise<void> {
		if (this.#askingSockets || this.#socketsFailed) return;
		this.#askingSockets = true;
		try {
			const port = this.#server.port;
			const [connections, listeners] = await Promise.all([
				readConnections([port]),
				readListeners(),
			]);
			const sockets = new Map<number, string | null>();
			// The inodes the threads are on now and ss does not list are some other socket.
			for (const process of this.#os.processes)
				for (const task of process.tasks ?? [])
					if (task.activity?.inode != null) sockets.set(task.activity.inode, null);
			for (const listener of listeners)
				if (listener.port === port) sockets.set(listener.inode, `listener ${listener.local}`);
			for (const socket of connections)
				if (socket.inode !== 0) sockets.set(socket.inode, peerName(socket.peer));
			this.#sockets = sockets;
			this.#os = {...this.#os, processes: this.#joinThreads(this.#os.processes)};
			this.#store.setOs(this.#os);
		} catch (error: unknown) {
			this.#socketsFailed = true;
			this.#collectorFailed(error);
		} finally {
			this.#askingSockets = false;
		}
	}

	/** The machine's figures; a reading with nothing new (no clock tick since the last) keeps the last. */
	async #readHost(): Promise<void> {
		try {
			const host = await this.#system.host();
			if (host !== null) this.#store.setHost(host);
		} catch (error: unknown) {
			this.#collectorFailed(error);
		}
	}

	#collectorFailed(error: unknown): void {
		const why = error instanceof Error ? error.message : String(error);
		this.#store.log(Date.now(), 'warn', `collector: ${why}`);
	}
}

/** The settings an action that changes one of them asks for, a step from `current`. */
function settingsChange(
	action: Extract<Action, {type: 'work' | 'delay' | 'resize-pool' | 'set-max-connections'}>,
	current: ServerSettings,
): Partial<ServerSettings> {
	switch (action.type) {
		case 'work':
			return {workMs: stepMs(current.workMs, action.direction, MAX_WORK_MS)};
		case 'delay':
			return {delayMs: stepMs(current.delayMs, action.direction, MAX_DELAY_MS)};
		case 'resize-pool':
			return {poolSize: stepPoolSize(current.poolSize, action.by)};
		case 'set-max-connections':
			return {maxConnections: action.max};
	}
}
