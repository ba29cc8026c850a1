import type {ModeName} from '../server/mode.js';
import type {LeftOut} from './budget.js';
import type {HistogramBucket, LatencySummary} from '../metrics/latency.js';

/** One server's line of the comparison, every figure measured this second (null: not measurable). */
export type RowFigures = {
	readonly name: string;
	readonly kind: 'model' | 'target';
	/** The row's model (its dashboard refuses to switch it); null for a target. */
	readonly mode: ModeName | null;
	readonly port: number;
	/** The server's own process; null for a target or while it is down. */
	readonly pid: number | null;
	/** As the row's test clients see it. */
	readonly clients: {
		readonly total: number;
		readonly connected: number;
		/** Connected and still without a reply on this connection. */
		readonly waiting: number;
		/** Have had a reply on their current connection. */
		readonly answered: number;
		/**
		 * Without a reply on their current connection: waiting, or not connected at all (refused,
		 * connecting, or trying again). The row's latency figures leave them out.
		 */
		readonly unanswered: number;
	};
	/** The most workers the model starts before it refuses clients (`128 threads`); null: no such cap, or a target. */
	readonly cap: string | null;
	/** Connections the server refused at its cap since the row started; null for a target. */
	readonly refusedTotal: number | null;
	/** How long the row's server process has said nothing, while that means it is stopped or hung; null while it answers. */
	readonly notRespondingMs: number | null;
	/** Replies per second: as the server counted them, or for an outside server its clients' round trips. */
	readonly messagesPerSec: number;
	readonly p50Ms: number | null;
	readonly p99Ms: number | null;
	/**
	 * Connect to first reply, the slowest: among the clients that have had one, or, if longer, how
	 * long a client still without one has waited so far (then `firstReplyPending`).
	 */
	readonly slowestFirstReplyMs: number | null;
	readonly firstReplyPending: boolean;
	/** Connections the server itself counts as waiting (its line, its pool's queue). */
	readonly serverWaiting: number | null;
	/** Summed over the server's process tree, from /proc. */
	readonly osThreads: number | null;
	readonly processes: number | null;
	readonly rssBytes: number | null;
	/** Share of one core over the last second, summed over the tree. */
	readonly cpuPercent: number | null;
	/** The row's test-client process, in share of one core. */
	readonly loadCpuPercent: number | null;
	/** The load generator is near a full core: the row's figures are the clients' limit, not the server's. */
	readonly loadLimited: boolean;
	/** Messages per second, one a second, oldest first, at most a minute. */
	readonly history: readonly number[];
};

export type CompareSettings = {
	/** Test clients per row now, lowest and highest (they differ when a storm left a row out). */
	readonly clients: {readonly min: number; readonly max: number};
	readonly rate: number;
	readonly workMs: number;
	readonly delayMs: number;
	readonly poolSize: number;
};

/** Everything the compare view shows, frozen at one tick. */
export type CompareSummary = {
	readonly at: number;
	/** When the rows began to start. */
	readonly startedAt: number;
	/** When every row's server listened and the window began; null: the run ended before. */
	readonly windowStart: number | null;
	/** The measured window's length, and the start-up before it (not measured). */
	readonly seconds: number;
	readonly startupS: number;
	/**
	 * The last second's rows, with msg/s the replies the server sent over the window (an outside
	 * server's: its clients' round trips), p50 and p99 over every round trip of the window, and the
	 * connections refused within it.
	 */
	readonly snapshot: CompareSnapshot;
	/** Each row's round trips over the window, with their histogram. */
	readonly latency: Readonly<Record<string, WindowLatency>>;
};

export type WindowLatency = LatencySummary & {readonly histogram: readonly HistogramBucket[]};

export type CompareSnapshot = {
	readonly at: number;
	readonly settings: CompareSettings;
	readonly rows: readonly RowFigures[];
	readonly leftOut: readonly LeftOut[];
	/** Rows whose server is still starting: not in `rows` yet. */
	readonly starting: readonly string[];
	/** The latest things said (a storm left out somewhere, a server process that died), newest last. */
	readonly notes: readonly string[];
};

/** A load generator at this share of its one core cannot send any faster. */
export const LOAD_LIMIT_PERCENT = 90;

/**
 * The `1st` column from the clients' view: the slowest first reply, or the longest wait so far of a
 * client still without one if longer; pending (`>`) while any client has no reply on its
 * connection, waiting or refused and trying again, whose wait is not in the figure at all.
 */
export function firstReplyFigures(
	total: number,
	answered: number,
	maxMs: number | null,
	waitingMs: number | null,
): Pick<RowFigures, 'slowestFirstReplyMs' | 'firstReplyPending'> & {readonly unanswered: number} {
	const unanswered = Math.max(0, total - answered);
	const slowestFirstReplyMs =
		waitingMs !== null && waitingMs > (maxMs ?? -1) ? waitingMs : (maxMs ?? waitingMs);
	return {slowestFirstReplyMs, firstReplyPending: unanswered > 0, unanswered};
}

/** Rows whose figures leave clients out (some have no reply yet) get no best mark but for msg/s. */
export const FAIR_FOR_ANY_ROW: ReadonlySet<BestColumn> = new Set(['messagesPerSec']);

/** The columns whose best figure is marked, and which way is better. */
export const BEST_OF = {
	messagesPerSec: 'max',
	p50Ms: 'min',
	p99Ms: 'min',
	slowestFirstReplyMs: 'min',
	waiting: 'min',
	osThreads: 'min',
	processes: 'min',
	rssBytes: 'min',
	cpuPercent: 'min',
} as const;
export type BestColumn = keyof typeof BEST_OF;

function valueOf(row: RowFigures, column: BestColumn): number | null {
	// A row that left clients without a reply cannot be best where they would count.
	if (row.clients.unanswered > 0 && !FAIR_FOR_ANY_ROW.has(column)) return null;
	return column === 'waiting' ? row.clients.unanswered : row[column];
}

/**
 * For each row, the columns it is best in. A column is marked only where there is a difference to
 * see: at least two rows with a figure, and not all equal. A row with clients still without a
 * reply (refused at its cap, queued, waiting) is best in nothing but msg/s: its latency, its wait
 * and what it spends leave those clients out.
 */
export function bestColumns(rows: readonly RowFigures[]): ReadonlySet<BestColumn>[] {
	const marks = rows.map(() => new Set<BestColumn>());
	for (const column of Object.keys(BEST_OF) as BestColumn[]) {
		const values = rows.map((row) => valueOf(row, column));
		const present = values.filter((value): value is number => value !== null);
		if (present.length < 2) continue;
		const best = BEST_OF[column] === 'max' ? Math.max(...present) : Math.min(...present);
		if (present.every((value) => value === best)) continue;
		values.forEach((value, index) => {
			if (value === best) marks[index]!.add(column);
		});
	}
	return marks;
}

const round = (value: number | null) => (value === null ? null : Math.round(value * 1000) / 1000);

const settingsWithoutRate = ({rate: _rate, ...rest}: CompareSettings) => rest;

/** One `--json` line (units in the keys, as every command's JSON): the settings and a row per server, with the columns it is best in. */
export function toCompareJson(snapshot: CompareSnapshot): object {
	const marks = bestColumns(snapshot.rows);
	return {
		at: snapshot.at,
		time: new Date(snapshot.at).toISOString(),
		settings: {...settingsWithoutRate(snapshot.settings), ratePerSec: snapshot.settings.rate},
		rows: snapshot.rows.map(({history, ...row}, index) => ({
			...row,
			messagesPerSec: round(row.messagesPerSec),
			latency: {p50Ms: round(row.p50Ms), p99Ms: round(row.p99Ms)},
			/** @deprecated schema 2: `latency.p50Ms`, `latency.p99Ms`; go in 0.3. */
			p50Ms: round(row.p50Ms),
			p99Ms: round(row.p99Ms),
			slowestFirstReplyMs: round(row.slowestFirstReplyMs),
			cpuPercent: round(row.cpuPercent),
			loadCpuPercent: round(row.loadCpuPercent),
			messagesPerSecHistory: history.map((value) => round(value)),
			best: [...marks[index]!],
		})),
		leftOut: snapshot.leftOut,
		starting: snapshot.starting,
		notes: snapshot.notes,
	};
}

/**
 * The last `--json` line of `--duration`: the measured window (start-up left out), each row's
 * msg/s the replies over it and its round trips over the whole window, with their histogram.
 */
export function toCompareSummaryJson(summary: CompareSummary): object {
	const line = toCompareJson(summary.snapshot) as {
		settings: unknown;
		rows: Record<string, unknown>[];
		leftOut: unknown;
		starting: unknown;
		notes: unknown;
	};
	return {
		at: summary.at,
		summary: {
			window: {
				fromAt: summary.windowStart,
				toAt: summary.at,
				seconds: summary.seconds,
				startupExcludedS: summary.startupS,
			},
			settings: line.settings,
			rows: line.rows.map(
				({p50Ms: _p50, p99Ms: _p99, latency: _last, messagesPerSecHistory: _trend, ...row}) => ({
					...row,
					latency: summary.latency[row.name as string] ?? null,
				}),
			),
			leftOut: line.leftOut,
			starting: line.starting,
			notes: line.notes,
		},
	};
}
