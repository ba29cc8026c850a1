import {ClientFleet} from '../clients/fleet.js';
import {ClientsMeter} from '../clients/meter.js';
import {ProcCollector} from '../collectors/proc.js';
import {Controller, DEFAULT_TIMING} from '../live/controller.js';
import {
	ACTION_TYPES,
	refused,
	unavailable,
	type Action,
	type ActionType,
	type SourceCapabilities,
} from '../metrics/source.js';
import type {DashboardSource} from '../metrics/source.js';
import type {OsFigures} from '../metrics/snapshot.js';
import {isLoopback} from '../options/hosts.js';
import {type Options} from '../options/options.js';
import type {ModeName} from '../server/mode.js';
import {ownersOfPort} from '../watch/target.js';
import type {RowPlan} from './budget.js';
import type {RowFigures} from './figures.js';
import {processTotals} from '../collectors/figures.js';

/** The figures of a row that come from its server: its own reports and /proc of its process tree. */
export type ServerFigures = Pick<
	RowFigures,
	| 'mode'
	| 'pid'
	| 'port'
	| 'serverWaiting'
	| 'osThreads'
	| 'processes'
	| 'rssBytes'
	| 'cpuPercent'
	| 'cap'
	| 'refusedTotal'
	| 'notRespondingMs'
> & {
	/**
	 * Replies per second as the server counted them; null: not ours to count. Steadier than the
	 * clients' count, which arrives in batches four times a second.
	 */
	readonly repliesPerSec: number | null;
	/** Replies the server has sent since it started; null: not ours to count. */
	readonly repliesTotal: number | null;
};

/** One server of the comparison and its own test clients. */
export type CompareRow = {
	readonly plan: RowPlan;
	/** Reports of the row's test-client process, folded into per-second figures. */
	readonly meter: ClientsMeter;
	/** The test-client process, the row's load generator. */
	readonly clientPid: number | undefined;
	/** The row's full dashboard (the same App as `attach`); null for an outside server. */
	readonly dashboard: DashboardSource | null;
	start(): Promise<void>;
	add(count: number): void;
	drop(count: number | 'all'): void;
	/** CPU work or I/O wait, one step; outside servers are not ours to change. */
	step(action: Extract<Action, {type: 'work' | 'delay'}>): void;
	/** Reads what the row reads itself (an outside server's /proc); the models' come with their snapshot. */
	collect(now: number): Promise<void>;
	server(): ServerFigures;
	stop(): Promise<void>;
};

/** Threads, processes, RSS and CPU summed over a server's process tree; nulls when not read. */
function treeFigures(
	os: OsFigures | null,
): Pick<ServerFigures, 'osThreads' | 'processes' | 'rssBytes' | 'cpuPercent'> {
	if (os === null) return {osThreads: null, processes: null, rssBytes: null, cpuPercent: null};
	const totals = processTotals(os.processes);
	return {
		osThreads: totals.threads,
		processes: os.processes.length,
		rssBytes: totals.rssBytes,
		// A process's first reading has no CPU share yet (it counts from the next): the others do.
		cpuPercent: totals.cpuKnown ? totals.cpuPercent : null,
	};
}

/** A model's server in its own process (the worker placement), driven by a Controller of its own. */
export class ModelRow implements CompareRow {
	readonly plan: RowPlan;
	readonly meter: ClientsMeter;
	readonly dashboard: DashboardSource;
	readonly #controller: Controller;

	constructor(
		plan: Extract<RowPlan, {kind: 'model'}>,
		base: Options,
		note: (text: string) => void,
	) {
		this.plan = plan;
		this.meter = new ClientsMeter(plan.name);
		// No thread states: compare does not show them, and reading them costs CPU the models are measured on.
		const controller = new Controller({...base, mode: plan.mode}, DEFAULT_TIMING, {
			threadStates: false,
		});
		controller.onClientReport((report) => this.meter.apply(report));
		controller.onEvent((line) => {
			// A server not responding is said while it lasts (`notRespondingMs`), not left as a note.
			if (line.level === 'error' && !/not responding/.test(line.text))
				note(`${plan.name}: ${line.text}`);
		});
		this.#controller = controller;
		// The row is its model: switching it here would leave the row's name on another model.
		const fixed = new Set<ActionType>(['toggle-placement', 'next-mode', 'set-mode']);
		const capabilities: SourceCapabilities = {
			actions: new Set(ACTION_TYPES.filter((type) => !fixed.has(type))),
			otherwise: `compare keeps this row ${plan.mode} in a process of its own: 1-8, m and p do nothing here (Esc: back)`,
			quit: 'stop',
		};
		this.dashboard = {
			get snapshot() {
				return controller.snapshot;
			},
			subscribe: controller.subscribe,
			setWindow: (window) => controller.setWindow(window),
			dispatch: async (action) => {
				// Every row's server stays in a process of its own, so that /proc shows it alone.
				const why = unavailable(action, capabilities);
				if (why !== null) {
					controller.log('warn', why);
					return refused(why);
				}
				return controller.dispatch(action);
			},
			capabilities,
		};
	}

	get clientPid(): number | undefined {
		return this.#controller.clientPid;
	}

	start(): Promise<void> {
		return this.#controller.start();
	}

	add(count: number): void {
		void this.#controller.dispatch({type: 'add-clients', count});
	}

	drop(count: number | 'all'): void {
		void this.#controller.dispatch({type: 'drop-clients', count});
	}

	step(action: Extract<Action, {type: 'work' | 'delay'}>): void {
		void this.#controller.dispatch(action);
	}

	async collect(): Promise<void> {}

	server(): ServerFigures {
		const snapshot = this.#controller.snapshot;
		return {
			mode: snapshot.server.mode as ModeName | null,
			pid: snapshot.server.pid,
			port: snapshot.server.port,
			serverWaiting: snapshot.queue.waiting,
			cap: snapshot.queue.budget ?? null,
			notRespondingMs: snapshot.server.notRespondingMs ?? null,
			refusedTotal: snapshot.queue.refusedTotal,
			repliesPerSec: snapshot.traffic.messagesOutPerSec,
			repliesTotal: snapshot.traffic.messagesOutTotal,
			...treeFigures(snapshot.os),
		};
	}

	stop(): Promise<void> {
		return this.#controller.stop();
	}
}

/**
 * An outside echo server: the clients are ours; its processes are read from /proc when it listens
 * on this machine (a loopback target) and its owner is a process we may read.
 */
export class TargetRow implements CompareRow {
	readonly plan: Extract<RowPlan, {kind: 'target'}>;
	readonly meter: ClientsMeter;
	readonly dashboard = null;
	readonly #fleet: ClientFleet;
	readonly #clients: number;
	readonly #note: (text: string) => void;
	#proc: {readonly pid: number; readonly collector: ProcCollector} | null = null;
	#os: OsFigures | null = null;

	constructor(
		plan: Extract<RowPlan, {kind: 'target'}>,
		base: Options,
		note: (text: string) => void,
	) {
		this.plan = plan;
		this.meter = new ClientsMeter(`${plan.host}:${plan.port}`);
		this.#clients = base.clients;
		this.#note = note;
		this.#fleet = new ClientFleet(() => ({host: plan.host, port: plan.port}), base.rate, {
			onReport: (report) => this.meter.apply(report),
			onExit: (code, signal) =>
				note(`${plan.name}: test-client process ended (${signal ?? `exit ${code}`})`),
		});
	}

	get clientPid(): number | undefined {
		return this.#fleet.pid;
	}

	async start(): Promise<void> {
		if (this.#clients > 0) this.#fleet.add(this.#clients);
		if (!isLoopback(this.plan.host)) {
			this.#note(
				`${this.plan.name}: not on this machine, so no server figures (only its clients')`,
			);
			return;
		}
		try {
			const [pid] = (await ownersOfPort(this.plan.port)) as [number];
			const exclude = () => new Set(this.#fleet.pid === undefined ? [] : [this.#fleet.pid]);
			const collector = new ProcCollector({serverPid: () => pid, port: () => null, exclude});
			this.#proc = {pid, collector};
		} catch (error: unknown) {
			const reason = error instanceof Error ? error.message : String(error);
			this.#note(`${this.plan.name}: no server figures: ${reason}`);
		}
	}

	add(count: number): void {
		this.#fleet.add(count);
	}

	drop(count: number | 'all'): void {
		this.#fleet.drop(count);
	}

	step(): void {}

	async collect(now: number): Promise<void> {
		if (this.#proc) this.#os = await this.#proc.collector.collect(now);
	}

	server(): ServerFigures {
		return {
			mode: null,
			pid: this.#proc?.pid ?? null,
			port: this.plan.port,
			serverWaiting: null,
			cap: null,
			refusedTotal: null,
			notRespondingMs: null,
			repliesPerSec: null,
			repliesTotal: null,
			...treeFigures(this.#os),
		};
	}

	stop(): Promise<void> {
		return this.#fleet.stop();
	}
}

/** The share of one core a load generator (a row's test-client process) used since the last reading. */
export class LoadCpu {
	#pid = 0;
	readonly #collector = new ProcCollector({
		serverPid: () => this.#pid,
		port: () => null,
		exclude: () => new Set(),
	});

	async read(pid: number | undefined, now: number): Promise<number | null> {
		if (pid === undefined) return null;
		this.#pid = pid;
		const os = await this.#collector.collect(now);
		return os.processes.find((process) => process.pid === pid)?.cpuPercent ?? null;
	}
}
