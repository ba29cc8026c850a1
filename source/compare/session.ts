import {Listeners} from '../shared/listeners.js';
import os from 'node:os';
import {formatBytes} from '../shared/format.js';
import {MAX_CLIENTS} from '../options/options.js';
import {MAX_DELAY_MS, MAX_WORK_MS, stepMs} from '../server/settings.js';
import {planRows, rowCost, type CostContext, type LeftOut, type RowPlan} from './budget.js';
import {
	firstReplyFigures,
	LOAD_LIMIT_PERCENT,
	type CompareSettings,
	type CompareSnapshot,
	type RowFigures,
} from './figures.js';
import type {CompareOptions} from './options.js';
import {histogramBuckets} from '../metrics/latency.js';
import {LoadCpu, ModelRow, TargetRow, type CompareRow, type ServerFigures} from './rows.js';

/** What a key press asks of every row at once. */
export type CompareAction =
	| {readonly type: 'add'; readonly count: number}
	| {readonly type: 'drop'; readonly count: number | 'all'}
	| {readonly type: 'work' | 'delay'; readonly direction: 1 | -1}
	| {readonly type: 'storm'};

/** The connect storm of key `r`: this many clients more on every row, all at once. */
export const STORM_CLIENTS = 500;
const HISTORY_SECONDS = 60;
const NOTES_KEPT = 3;
const TICK_MS = 1000;

type Live = {
	readonly row: CompareRow;
	/** Until its server listens; keys pressed meanwhile wait in `pending`, in order. */
	running: boolean;
	readonly pending: (() => void)[];
	/** Clients asked for; what the memory budget is reckoned on. */
	clients: number;
	readonly load: LoadCpu;
	readonly history: number[];
	/** Refused by the server, and replies it sent, before the measured window. */
	refusedBefore: number;
	repliesBefore: number | null;
};

/** A server's figures that are the row's columns. */
const serverColumns = ({repliesPerSec: _perSec, repliesTotal: _total, ...columns}: ServerFigures) =>
	columns;

/** What `--duration` ends with: the measured window, from when every server listened. */
import type {CompareSummary, WindowLatency} from './figures.js';

export type {CompareSummary, WindowLatency};

/**
 * The one place that acts in `compare`: owns every row (a server and its clients), applies the
 * memory budget, carries out the keys on every row at once, and publishes a snapshot every second.
 */
export class CompareSession {
	readonly #rows: Live[];
	readonly #leftOut: LeftOut[];
	readonly #budget: number;
	readonly #context: CostContext;
	readonly #snapshots = new Listeners<CompareSnapshot>();
	#settings: Omit<CompareSettings, 'clients'>;
	#notes: string[] = [];
	#snapshot: CompareSnapshot;
	#timer: NodeJS.Timeout | undefined;
	#stopped = false;
	#startedAt = Date.now();
	#windowStart: number | null = null;
	#windowStarted: () => void = () => {};
	/** Resolves when the measured window starts (`--duration` counts from there). */
	readonly windowStarted = new Promise<void>((resolve) => (this.#windowStarted = resolve));

	constructor(options: CompareOptions, budgetBytes: number) {
		const {base} = options;
		this.#budget = budgetBytes;
		this.#context = {poolSize: base.poolSize, cores: os.availableParallelism()};
		const plans: RowPlan[] = [
			...options.modes.map((mode) => ({kind: 'model', name: mode, mode}) as const),
			...options.targets.map((target) => ({kind: 'target', ...target}) as const),
		];
		const {start, leftOut} = planRows(plans, base.clients, budgetBytes, this.#context);
		this.#leftOut = [...leftOut];
		const note = (text: string) => this.#note(text);
		this.#rows = start.map((plan) => ({
			row: plan.kind === 'model' ? new ModelRow(plan, base, note) : new TargetRow(plan, base, note),
			running: false,
			pending: [],
			clients: base.clients,
			load: new LoadCpu(),
			history: [],
			refusedBefore: 0,
			repliesBefore: null,
		}));
		this.#settings = {
			rate: base.rate,
			workMs: base.workMs,
			delayMs: base.delayMs,
			poolSize: base.poolSize,
		};
		this.#snapshot = this.#compose(Date.now(), []);
	}

	/** Rows that start (or started): those the budget allowed. */
	get rowCount(): number {
		return this.#rows.length;
	}

	get snapshot(): CompareSnapshot {
		return this.#snapshot;
	}

	readonly subscribe = this.#snapshots.add;

	/** The rows' servers and clients, all at once; a row that cannot start is left out, saying why. */
	async start(): Promise<void> {
		this.#startedAt = Date.now();
		this.#timer = setInterval(() => void this.#tick(), TICK_MS);
		await Promise.all([...this.#rows].map((live) => this.#startRow(live)));
	}

	/** Starts one row; a row that cannot start is left out, saying why, and the others run on. */
	async #startRow(live: Live): Promise<void> {
		try {
			await live.row.start();
		} catch (error: unknown) {
			const reason = error instanceof Error ? error.message : String(error);
			this.#leftOut.push({name: live.row.plan.name, reason: `did not start: ${reason}`});
			this.#rows.splice(this.#rows.indexOf(live), 1);
			await live.row.stop();
			return;
		}
		if (this.#stopped) return;
		live.running = true;
		for (const action of live.pending.splice(0)) action();
	}

	/** Carries out `action` on the row now, or once its server listens. */
	#onRow(live: Live, action: () => void): void {
		if (live.running) action();
		else live.pending.push(action);
	}

	/** The named row's full dashboard; null for an outside server or no such row. */
	dashboardOf(name: string): CompareRow['dashboard'] {
		return this.#find(name)?.row.dashboard ?? null;
	}

	/** Back from a row's dashboard, where its own keys may have changed its clients. */
	resync(name: string): void {
		const live = this.#find(name);
		if (live) live.clients = live.row.meter.view().clients.total;
	}

	#find(name: string): Live | undefined {
		return this.#rows.find((live) => live.running && live.row.plan.name === name);
	}

	dispatch(action: CompareAction): void {
		if (this.#stopped) return;
		switch (action.type) {
			case 'add':
				this.#add(action.count);
				break;
			case 'storm':
				this.#add(STORM_CLIENTS);
				break;
			case 'drop':
				for (const live of this.#rows) {
					live.clients = action.count === 'all' ? 0 : Math.max(0, live.clients - action.count);
					this.#onRow(live, () => live.row.drop(action.count));
				}
				break;
			case 'work':
			case 'delay': {
				const key = action.type === 'work' ? 'workMs' : 'delayMs';
				const max = action.type === 'work' ? MAX_WORK_MS : MAX_DELAY_MS;
				this.#settings = {
					...this.#settings,
					[key]: stepMs(this.#settings[key], action.direction, max),
				};
				for (const live of this.#rows) {
					this.#onRow(live, () => live.row.step({type: action.type, direction: action.direction}));
				}
				break;
			}
		}
		this.#publish(this.#compose(Date.now(), this.#snapshot.rows));
	}

	async stop(): Promise<void> {
		if (this.#stopped) return;
		this.#stopped = true;
		clearInterval(this.#timer);
		await Promise.all(this.#rows.map(({row}) => row.stop()));
	}

	/** `count` more clients on every row the memory budget still has room for; the rest are named. */
	#add(count: number): void {
		let left =
			this.#budget -
			this.#rows.reduce(
				(sum, live) => sum + rowCost(live.row.plan, live.clients, this.#context),
				0,
			);
		const skipped: string[] = [];
		for (const live of this.#rows) {
			const more = Math.min(count, MAX_CLIENTS - live.clients);
			const extra =
				rowCost(live.row.plan, live.clients + more, this.#context) -
				rowCost(live.row.plan, live.clients, this.#context);
			if (more <= 0 || extra > left) {
				skipped.push(
					`${live.row.plan.name} (${more <= 0 ? `at ${MAX_CLIENTS} clients` : `needs ${formatBytes(extra)}, ${formatBytes(Math.max(0, left))} left`})`,
				);
				continue;
			}
			left -= extra;
			live.clients += more;
			this.#onRow(live, () => live.row.add(more));
		}
		if (skipped.length > 0) this.#note(`+${count} clients left out on ${skipped.join(', ')}`);
	}

	async #tick(): Promise<void> {
		const now = Date.now();
		const running = this.#rows.filter((live) => live.running);
		const rows = await Promise.all(running.map((live) => this.#figures(live, now)));
		if (this.#stopped) return;
		// The measured window starts once every row's server listens and its test-client process
		// has started its clients: the start-up (seconds on a busy machine) is left out.
		const ready = running.every(
			(live) => live.clients === 0 || live.row.meter.view(now).clients.total > 0,
		);
		if (
			this.#windowStart === null &&
			ready &&
			running.length > 0 &&
			running.length === this.#rows.length
		) {
			this.#windowStart = now;
			for (const live of running) {
				live.row.meter.startWindow(now);
				const server = live.row.server();
				live.refusedBefore = server.refusedTotal ?? 0;
				live.repliesBefore = server.repliesTotal;
			}
			this.#windowStarted();
		}
		this.#publish(this.#compose(now, rows));
	}

	async #figures(live: Live, now: number): Promise<RowFigures> {
		const {row} = live;
		row.meter.roll(now);
		const view = row.meter.view(now);
		const [loadCpuPercent] = await Promise.all([
			live.load.read(row.clientPid, now),
			row.collect(now),
		]);
		const answered = view.firstReply.samples;
		const {slowestFirstReplyMs, firstReplyPending, unanswered} = firstReplyFigures(
			view.clients.total,
			answered,
			view.firstReply.maxMs,
			view.firstReply.waitingMs,
		);
		const figures = row.server();
		const {repliesPerSec} = figures;
		const server = serverColumns(figures);
		const messagesPerSec = repliesPerSec ?? view.messagesPerSec;
		live.history.push(messagesPerSec);
		if (live.history.length > HISTORY_SECONDS) live.history.shift();
		return {
			name: row.plan.name,
			kind: row.plan.kind,
			...server,
			clients: {
				total: view.clients.total,
				connected: view.clients.connected,
				waiting: view.clients.waiting,
				answered,
				unanswered,
			},
			messagesPerSec,
			p50Ms: view.rtt.p50Ms,
			p99Ms: view.rtt.p99Ms,
			slowestFirstReplyMs,
			firstReplyPending,
			loadCpuPercent,
			loadLimited: loadCpuPercent !== null && loadCpuPercent >= LOAD_LIMIT_PERCENT,
			history: [...live.history],
		};
	}

	/** The measured window so far: what `--duration` ends with. */
	summary(now = Date.now()): CompareSummary {
		const last = this.#snapshot;
		const start = this.#windowStart;
		const latency: Record<string, WindowLatency> = {};
		const rows = last.rows.map((row) => {
			const live = this.#rows.find((candidate) => candidate.row.plan.name === row.name);
			const window = start === null ? null : (live?.row.meter.summary(now) ?? null);
			if (!live || !window) return row;
			latency[row.name] = {...window.rtt, histogram: histogramBuckets(window.histogram)};
			// The server's count of replies over the window; an outside server's, its clients' round trips.
			const seconds = Math.max(0.001, (now - start!) / 1000);
			const replies = live.row.server().repliesTotal;
			const messagesPerSec =
				replies === null || live.repliesBefore === null
					? window.messagesPerSec
					: Math.max(0, replies - live.repliesBefore) / seconds;
			return {
				...row,
				messagesPerSec,
				p50Ms: window.rtt.p50Ms,
				p99Ms: window.rtt.p99Ms,
				refusedTotal:
					row.refusedTotal === null ? null : Math.max(0, row.refusedTotal - live.refusedBefore),
			};
		});
		return {
			at: now,
			startedAt: this.#startedAt,
			windowStart: start,
			seconds: start === null ? 0 : (now - start) / 1000,
			startupS: ((start ?? now) - this.#startedAt) / 1000,
			snapshot: {...last, rows},
			latency,
		};
	}

	#compose(at: number, rows: readonly RowFigures[]): CompareSnapshot {
		const asked = this.#rows.map((live) => live.clients);
		return {
			at,
			settings: {
				...this.#settings,
				clients:
					asked.length === 0
						? {min: 0, max: 0}
						: {min: Math.min(...asked), max: Math.max(...asked)},
			},
			rows,
			leftOut: [...this.#leftOut],
			starting: this.#rows.filter((live) => !live.running).map((live) => live.row.plan.name),
			notes: [...this.#notes],
		};
	}

	#note(text: string): void {
		this.#notes = [...this.#notes, text].slice(-NOTES_KEPT);
	}

	#publish(snapshot: CompareSnapshot): void {
		this.#snapshot = snapshot;
		this.#snapshots.tell(snapshot);
	}
}
