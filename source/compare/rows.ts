import {ClientFleet} from '../clients/fleet.js';
import {ClientsMeter} from '../clients/meter.js';
import {readProcess} from '../collectors/proc.js';
import {Controller, DEFAULT_TIMING} from '../controller.js';
import {
	ACTION_TYPES,
	refused,
	unavailable,
	type Action,
	type SourceCapabilities,
} from '../dashboard-source.js';
import type {DashboardSource} from '../dashboard-source.js';
import type {Options} from '../options.js';
import type {ModeName} from '../server/mode.js';
import type {RowPlan} from './budget.js';
import type {RowFigures} from './figures.js';

/** Linux states CPU time in ticks of 1/100 s (USER_HZ, fixed by the kernel ABI). */
const TICKS_PER_SECOND = 100;

/** The figures of a row that come from its server: its own reports and /proc of its process tree. */
export type ServerFigures = Pick<
	RowFigures,
	'mode' | 'pid' | 'port' | 'serverWaiting' | 'osThreads' | 'processes' | 'rssBytes' | 'cpuPercent'
> & {
	/**
	 * Replies per second as the server counted them; null: not ours to count. Steadier than the
	 * clients' count, which arrives in batches four times a second.
	 */
	readonly repliesPerSec: number | null;
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
	server(): ServerFigures;
	stop(): Promise<void>;
};

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
		const controller = new Controller({...base, mode: plan.mode}, DEFAULT_TIMING);
		controller.onClientReport((report) => this.meter.apply(report));
		controller.onEvent((line) => {
			if (line.level === 'error') note(`${plan.name}: ${line.text}`);
		});
		this.#controller = controller;
		const capabilities: SourceCapabilities = {
			actions: new Set(ACTION_TYPES.filter((type) => type !== 'toggle-placement')),
			otherwise: 'compare keeps each server in its own process: p does nothing here',
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

	server(): ServerFigures {
		const snapshot = this.#controller.snapshot;
		const processes = snapshot.os?.processes ?? null;
		const sum = (pick: (process: NonNullable<typeof processes>[number]) => number) =>
			processes === null ? null : processes.reduce((total, process) => total + pick(process), 0);
		return {
			mode: snapshot.server.mode as ModeName | null,
			pid: snapshot.server.pid,
			port: snapshot.server.port,
			serverWaiting: snapshot.queue.waiting,
			repliesPerSec: snapshot.traffic.messagesOutPerSec,
			osThreads: sum((process) => process.threads),
			processes: processes?.length ?? null,
			rssBytes: sum((process) => process.rssBytes),
			// A process's first reading has no CPU share yet (it counts from the next): the others do.
			cpuPercent: processes?.some((process) => process.cpuPercent !== null)
				? sum((process) => process.cpuPercent ?? 0)
				: null,
		};
	}

	stop(): Promise<void> {
		return this.#controller.stop();
	}
}

/** An outside echo server: only the clients are ours, so only the clients' figures are measured. */
export class TargetRow implements CompareRow {
	readonly plan: RowPlan;
	readonly meter: ClientsMeter;
	readonly dashboard = null;
	readonly #fleet: ClientFleet;
	readonly #clients: number;

	constructor(
		plan: Extract<RowPlan, {kind: 'target'}>,
		base: Options,
		note: (text: string) => void,
	) {
		this.plan = plan;
		this.meter = new ClientsMeter(`${plan.host}:${plan.port}`);
		this.#clients = base.clients;
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
	}

	add(count: number): void {
		this.#fleet.add(count);
	}

	drop(count: number | 'all'): void {
		this.#fleet.drop(count);
	}

	step(): void {}

	server(): ServerFigures {
		const plan = this.plan as Extract<RowPlan, {kind: 'target'}>;
		return {
			mode: null,
			pid: null,
			port: plan.port,
			serverWaiting: null,
			repliesPerSec: null,
			osThreads: null,
			processes: null,
			rssBytes: null,
			cpuPercent: null,
		};
	}

	stop(): Promise<void> {
		return this.#fleet.stop();
	}
}

/** A process's share of one core between two readings, from /proc/<pid>/stat. */
export class CpuShare {
	#last: {pid: number; ticks: number; at: number} | null = null;

	async read(pid: number | undefined, now = Date.now()): Promise<number | null> {
		if (pid === undefined) return null;
		const reading = await readProcess(pid);
		if (!reading) return null;
		const last = this.#last;
		this.#last = {pid, ticks: reading.cpuTicks, at: now};
		if (!last || last.pid !== pid || now <= last.at) return null;
		return ((reading.cpuTicks - last.ticks) / TICKS_PER_SECOND / ((now - last.at) / 1000)) * 100;
	}
}
