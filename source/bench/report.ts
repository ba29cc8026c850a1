import {formatBytes, formatDuration} from '../shared/format.js';
import {scheduleWords} from '../clients/summary.js';
import type {Environment} from './environment.js';
import type {LatencySummary} from '../metrics/latency.js';
import type {RowFigures, RowSpec} from './run-row.js';
import {drawTable, tableWidth} from './text-table.js';

/**
 * One line of the comparison table, as `--json` prints it: the row's measured figures (RowFigures),
 * what the row ran, and the ratios and verdict drawn from them. Times in ms, memory in bytes, CPU in
 * % of one core, rates per second.
 */
export type BenchRow = RowFigures & {
	readonly server: string;
	readonly baseline: boolean;
	readonly workload: string;
	/** Concurrent clients; in a storm row, the clients of the storm. */
	readonly clients: number;
	/** Storm rows: the busy clients already running when the storm hits (msgs/s and RTT are theirs). */
	readonly backgroundClients?: number;
	/** Storm rows: busy (a storm on a loaded server) or harsh (all connect, then all send at once). */
	readonly form?: 'busy' | 'harsh';
	readonly size: number;
	readonly depth: number;
	/**
	 * Server CPU time per round trip, in µs: what a message costs the server whatever else the
	 * machine does, so it stays steady where msgs/s swing with the load of other tenants.
	 */
	readonly cpuMicrosPerMessage: number | null;
	/** cpuMicrosPerMessage over the baseline's (paired runs when repeated). */
	readonly ratioCpuPerMessage: number | null;
	/**
	 * messages/s over the baseline's in the same run (for saturation: over the first row's); null
	 * when the row's load generator was saturated: its msgs/s are then the generator's.
	 */
	readonly ratioMessagesPerSec: number | null;
	/** p99 over the baseline's. */
	readonly ratioP99: number | null;
	readonly verdict: string;
	/** msgs/s of each run when --repeat ran the row more than once (the row shows their median). */
	readonly runs?: readonly number[];
};

/** What a scenario hands to the report: its rows, what it skipped, its targets, anything else it measured. */
export type ScenarioResult = {
	rows: BenchRow[];
	skipped: Skipped[];
	targets: Target[];
	extra?: Record<string, unknown>;
};

export type Skipped = {
	readonly server: string;
	readonly workload: string;
	readonly clients: number;
	readonly reason: string;
};

export type Target = {readonly name: string; readonly met: boolean | null; readonly detail: string};

export type BenchReport = {
	readonly tool: 'concurrency-top bench';
	readonly scenario: string;
	readonly command: string;
	/** When the bench started, epoch milliseconds. */
	readonly at: number;
	/** @deprecated schema 2: `at` as ISO text; goes in 0.3. */
	readonly startedAt: string;
	readonly environment: Environment;
	readonly settings: Readonly<
		Record<string, number | string | null | readonly (string | number)[]>
	>;
	readonly rows: readonly BenchRow[];
	readonly skipped: readonly Skipped[];
	readonly targets: readonly Target[];
	/** Scenario-specific tables (memory, dashboard). */
	readonly extra?: Readonly<Record<string, unknown>>;
};

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Ratios measured otherwise (paired runs); by default a row's figures over its baseline's. */
type GivenRatios = {
	readonly messagesPerSec: number | null;
	readonly p99: number | null;
	readonly cpuPerMessage: number | null;
};

/** A row's ratios to its baseline, and its server CPU per message. */
function rowRatios(
	figures: RowFigures,
	baseline: RowFigures | null,
	ratios: GivenRatios | undefined,
): {perMessage: number | null; cpu: number | null; messages: number | null; p99: number | null} {
	const perMessage = cpuPerMessage(figures);
	const basePerMessage = baseline && cpuPerMessage(baseline);
	const cpu = ratios
		? ratios.cpuPerMessage
		: perMessage !== null && basePerMessage
			? perMessage / basePerMessage
			: null;
	const measured = ratios
		? ratios.messagesPerSec
		: baseline && baseline.messagesPerSec > 0
			? figures.messagesPerSec / baseline.messagesPerSec
			: null;
	// A saturated generator (here or in the baseline) measured itself: no ratio.
	const messages = figures.generatorSaturated || baseline?.generatorSaturated ? null : measured;
	const p99 = ratios
		? ratios.p99
		: baseline?.rtt.p99Ms && figures.rtt.p99Ms !== null
			? figures.rtt.p99Ms / baseline.rtt.p99Ms
			: null;
	return {perMessage, cpu, messages, p99};
}

/** The row's measured figures, rounded for the report. */
function roundedFigures(figures: RowFigures): RowFigures {
	return {
		...figures,
		measuredS: round(figures.measuredS),
		messagesPerSec: round(figures.messagesPerSec, 1),
		bytesPerSec: Math.round(figures.bytesPerSec),
		rtt: roundSummary(figures.rtt),
		connect: roundSummary(figures.connect),
		firstReply: roundSummary(figures.firstReply),
		allFirstReplyMs: figures.allFirstReplyMs === null ? null : round(figures.allFirstReplyMs, 1),
		cpuPercent: round(figures.cpuPercent, 1),
		cpuSeconds: round(figures.cpuSeconds, 2),
		loadCpuPercent: round(figures.loadCpuPercent, 1),
		loadCpuMaxPercent: round(figures.loadCpuMaxPercent, 1),
		hostCpuPercent: figures.hostCpuPercent === null ? null : round(figures.hostCpuPercent, 1),
	};
}

/** What the row says in words: a saturated generator, the baseline, or the server's verdict. */
function rowVerdict(
	spec: RowSpec,
	figures: RowFigures,
	baseline: RowFigures | null,
	isBaseline: boolean,
	ratios: {messages: number | null; p99: number | null},
): string {
	if (figures.generatorSaturated)
		return `load generator saturated (busiest load process ${Math.round(figures.loadCpuMaxPercent)}% of a core): these msgs/s are the generator's, not the server's`;
	if (isBaseline)
		return [
			'baseline',
			...(figures.listenOverflows
				? [`${figures.listenOverflows} connects dropped (accept queue full)`]
				: []),
		].join('; ');
	const extraRssPerClient =
		baseline === null ? null : (figures.peakRssBytes - baseline.peakRssBytes) / spec.clients;
	return verdict(
		spec.storm?.clients ?? spec.clients,
		figures,
		ratios.messages,
		ratios.p99,
		extraRssPerClient,
	);
}

export function toRow(
	spec: RowSpec,
	figures: RowFigures,
	baseline: RowFigures | null,
	isBaseline: boolean,
	/** Ratios measured otherwise (paired runs); by default this row's figures over the baseline's. */
	ratios?: GivenRatios,
): BenchRow {
	const {perMessage, cpu, messages, p99} = rowRatios(figures, baseline, ratios);
	return {
		...roundedFigures(figures),
		server:
			spec.server === 'target' ? `target ${spec.target!.host}:${spec.target!.port}` : spec.server,
		baseline: isBaseline,
		workload: spec.workload.name,
		clients: spec.storm ? spec.storm.clients : spec.clients,
		...(spec.storm ? {backgroundClients: spec.clients} : {}),
		...(spec.form ? {form: spec.form} : {}),
		size: spec.size,
		depth: spec.depth,
		cpuMicrosPerMessage: perMessage === null ? null : round(perMessage, 2),
		ratioCpuPerMessage: cpu === null ? null : round(cpu),
		ratioMessagesPerSec: messages === null ? null : round(messages),
		ratioP99: p99 === null ? null : round(p99),
		verdict: rowVerdict(spec, figures, baseline, isBaseline, {messages, p99}),
	};
}

function roundSummary(summary: LatencySummary): LatencySummary {
	const r = (value: number | null) => (value === null ? null : round(value));
	return {
		samples: summary.samples,
		p50Ms: r(summary.p50Ms),
		p90Ms: r(summary.p90Ms),
		p99Ms: r(summary.p99Ms),
		p999Ms: r(summary.p999Ms),
		maxMs: r(summary.maxMs),
		meanMs: r(summary.meanMs),
		stdevMs: r(summary.stdevMs),
	};
}

/** How a row's server is named in the table: a storm's form, a plain baseline's backlog if not Node's default. */
export function serverLabel(spec: {
	readonly server: string;
	readonly backlog?: number | null;
	readonly form?: string;
	readonly target?: {readonly host: string; readonly port: number};
}): string {
	const name =
		spec.server === 'target' && spec.target
			? `target ${spec.target.host}:${spec.target.port}`
			: spec.server;
	const backlog =
		spec.server === 'plain' && spec.backlog && spec.backlog !== 511 ? `/${spec.backlog}` : '';
	return `${name}${backlog}${spec.form ? ` ${spec.form}` : ''}`;
}

/** Server CPU µs per round trip in the measured window; null without round trips. */
export function cpuPerMessage(figures: RowFigures): number | null {
	return figures.roundTrips > 0 ? (figures.cpuSeconds * 1e6) / figures.roundTrips : null;
}

/** A few words drawn from the figures: who starves, how it compares with the plain server. */
export function verdict(
	clients: number,
	figures: RowFigures,
	ratio: number | null,
	ratioP99: number | null,
	extraRssPerClient: number | null = null,
): string {
	const parts: string[] = [];
	if (figures.starved > 0) {
		// Its msgs/s come from the clients it serves, so a comparison with plain would flatter it.
		parts.push(`${figures.starved} of ${clients} clients starved`);
		if (ratio !== null) parts.push(`${ratio.toFixed(2)}× plain msgs/s from those served`);
	} else if (ratio !== null) {
		if (ratio >= 0.95)
			parts.push(ratio > 1.05 ? `faster than plain (${ratio.toFixed(2)}×)` : 'keeps up with plain');
		else parts.push(`${ratio < 0.5 ? 'slow: ' : ''}${ratio.toFixed(2)}× plain msgs/s`);
	}
	if (figures.starved === 0 && ratioP99 !== null && ratioP99 > 1.2)
		parts.push(`p99 ${ratioP99.toFixed(1)}× plain`);
	if (figures.allFirstReplyMs !== null && figures.allFirstReplyMs > 1000)
		parts.push(`last first reply after ${formatDuration(figures.allFirstReplyMs)}`);
	if (figures.listenOverflows)
		parts.push(`${figures.listenOverflows} connects dropped (accept queue full)`);
	if (clients >= 10 && extraRssPerClient !== null && extraRssPerClient > 2 ** 20)
		parts.push(`${formatBytes(extraRssPerClient)} more RSS per client than plain`);
	return parts.join('; ') || 'measured';
}

function ms(value: number | null): string {
	return value === null ? '-' : formatDuration(value);
}

/**
 * A column of the report: its header (each one different), its cell, and its rank: when the
 * terminal is narrow the columns of the highest rank go first (`--wide` keeps all).
 */
type Column = {
	readonly header: string;
	readonly rank: number;
	readonly left?: boolean;
	readonly cell: (row: BenchRow) => string;
};

const errorTotal = (row: BenchRow) =>
	row.errors.refused +
	row.errors.resets +
	row.errors.closed +
	row.errors.timeouts +
	row.errors.other;

const COLUMNS: readonly Column[] = [
	{header: 'server', rank: 0, left: true, cell: (row) => serverLabel(row)},
	{header: 'work', rank: 3, left: true, cell: (row) => row.workload},
	{header: 'clients', rank: 0, cell: (row) => String(row.clients)},
	{
		header: 'load',
		rank: 4,
		cell: (row) => `${row.generator === 'c' ? 'C' : 'node'}×${row.workers}`,
	},
	{
		header: 'msgs/s',
		rank: 0,
		cell: (row) => (row.generatorSaturated ? 'gen-bound' : String(Math.round(row.messagesPerSec))),
	},
	{
		header: '×plain',
		rank: 0,
		cell: (row) => (row.ratioMessagesPerSec === null ? '-' : row.ratioMessagesPerSec.toFixed(2)),
	},
	{header: 'MB/s', rank: 3, cell: (row) => (row.bytesPerSec / 1e6).toFixed(1)},
	{header: 'p50', rank: 1, cell: (row) => ms(row.rtt.p50Ms)},
	{header: 'p90', rank: 4, cell: (row) => ms(row.rtt.p90Ms)},
	{header: 'p99', rank: 0, cell: (row) => ms(row.rtt.p99Ms)},
	{header: 'p99.9', rank: 3, cell: (row) => ms(row.rtt.p999Ms)},
	{header: 'max', rank: 2, cell: (row) => ms(row.rtt.maxMs)},
	{header: 'mean', rank: 5, cell: (row) => ms(row.rtt.meanMs)},
	{header: 'stdev', rank: 5, cell: (row) => ms(row.rtt.stdevMs)},
	{header: 'connect max', rank: 3, cell: (row) => ms(row.connect.maxMs)},
	{
		header: 'all 1st reply',
		rank: 1,
		cell: (row) =>
			row.allFirstReplyMs === null ? `never (${row.starved})` : ms(row.allFirstReplyMs),
	},
	{header: 'errors', rank: 1, cell: (row) => String(errorTotal(row))},
	{header: 'refused', rank: 6, cell: (row) => String(row.errors.refused)},
	{header: 'resets', rank: 6, cell: (row) => String(row.errors.resets)},
	{header: 'closed', rank: 6, cell: (row) => String(row.errors.closed)},
	{header: 'timeouts', rank: 6, cell: (row) => String(row.errors.timeouts)},
	{header: 'late', rank: 2, cell: (row) => String(row.errors.messageTimeouts)},
	{
		header: 'dropped SYN',
		rank: 4,
		cell: (row) => (row.listenOverflows === null ? '-' : String(row.listenOverflows)),
	},
	{header: 'threads', rank: 3, cell: (row) => String(row.peakThreads)},
	{header: 'procs', rank: 3, cell: (row) => String(row.peakProcesses)},
	{header: 'RSS', rank: 2, cell: (row) => formatBytes(row.peakRssBytes)},
	{header: 'CPU', rank: 2, cell: (row) => `${row.cpuPercent.toFixed(0)}%`},
	{
		header: 'CPU/msg',
		rank: 4,
		cell: (row) =>
			row.cpuMicrosPerMessage === null ? '-' : `${row.cpuMicrosPerMessage.toFixed(1)}µs`,
	},
	{
		header: 'CPU/msg ×plain',
		rank: 5,
		cell: (row) => (row.ratioCpuPerMessage === null ? '-' : row.ratioCpuPerMessage.toFixed(2)),
	},
	{header: 'load CPU', rank: 2, cell: (row) => `${row.loadCpuMaxPercent.toFixed(0)}%`},
	{
		header: 'host',
		rank: 4,
		cell: (row) => (row.hostCpuPercent === null ? '-' : `${row.hostCpuPercent.toFixed(0)}%`),
	},
	{header: 'backlog', rank: 5, cell: (row) => (row.backlog === null ? '-' : String(row.backlog))},
	{header: 'verdict', rank: 0, left: true, cell: (row) => row.verdict},
];

/** A verdict narrower than this is cut with `…`; below it, columns are dropped instead. */
const VERDICT_MIN = 24;

const widthOf = (column: Column, rows: readonly BenchRow[]) =>
	Math.max(column.header.length, ...rows.map((row) => column.cell(row).length));

/**
 * The columns that fit `width` (all when it is Infinity) in ink-table's frame, dropping the highest
 * ranks first.
 */
export function fitColumns(rows: readonly BenchRow[], width: number): Column[] {
	let columns = [...COLUMNS];
	const total = () =>
		tableWidth(
			columns.map((column) => (column.header === 'verdict' ? VERDICT_MIN : widthOf(column, rows))),
		);
	for (let rank = 6; rank > 0 && total() > width; rank--)
		columns = columns.filter((column) => column.rank < rank);
	return columns;
}

/**
 * The rows' cells in `columns`: the verdict, last, cut with `…` to what the other columns leave of
 * `width`.
 */
function cellsWithin(rows: readonly BenchRow[], columns: readonly Column[], width: number) {
	const others = tableWidth([...columns.slice(0, -1).map((column) => widthOf(column, rows)), 0]);
	const room = Math.max(width - others, 'verdict'.length);
	return rows.map((row) =>
		columns.map((column, index) => {
			const cell = column.cell(row);
			return index === columns.length - 1 && cell.length > room
				? `${cell.slice(0, room - 1)}…`
				: cell;
		}),
	);
}

/** The machine the figures were measured on, where it could be told, before its cores. */
const onMachine = (environment: Environment) =>
	environment.machine === null ? '' : `${environment.machine}; `;

/** Which schedule the clients ran, in words: said under the title of the text and Markdown tables. */
function loadWords(report: BenchReport): string {
	const {ratePerSec, messageTimeoutMs} = report.settings;
	const late = `late: messages without a reply within ${formatDuration(Number(messageTimeoutMs))}`;
	return typeof ratePerSec === 'number'
		? `${ratePerSec} msgs/s per client, ${scheduleWords('fixed-rate')}; ${late}`
		: `${scheduleWords('closed-loop')}; ${late}`;
}

/**
 * The text report, its table drawn by ink-table: as wide as `width` (the terminal's), every column
 * with `width` Infinity. In a terminal too narrow even for the first columns, lines are cut.
 */
export async function formatText(
	report: BenchReport,
	width = Number.POSITIVE_INFINITY,
): Promise<string> {
	const columns = fitColumns(report.rows, width);
	const hidden = COLUMNS.filter((column) => !columns.includes(column)).map(
		(column) => column.header,
	);
	const table = await drawTable(columns, cellsWithin(report.rows, columns, width));
	return [
		`concurrency-top bench: ${report.scenario} (${report.command})`,
		`${onMachine(report.environment)}${report.environment.cores} cores, Node ${report.environment.node}, message ${report.settings.size} B, depth ${report.settings.depth}, ${report.settings.durationS} s per row, median of ${report.settings.repeat} run(s); CPU: server's, and the busiest load process's, in % of one core; host in % of all cores`,
		loadWords(report),
		...(hidden.length > 0
			? [`(not shown for the terminal's width: ${hidden.join(', ')}; --wide shows all)`]
			: []),
		'',
		...table.map((line) => (line.length > width ? `${line.slice(0, width - 1)}…` : line)),
		...footer(report),
	].join('\n');
}

export function formatMarkdown(report: BenchReport): string {
	const row = (items: readonly string[]) => `| ${items.join(' | ')} |`;
	return [
		`Measured with \`${report.command}\` (${onMachine(report.environment)}${report.environment.cores} cores, Node ${report.environment.node}, message ${report.settings.size} B, depth ${report.settings.depth}, ${report.settings.durationS} s per row, median of ${report.settings.repeat} run(s)); ${loadWords(report)}.`,
		'',
		row(COLUMNS.map((column) => column.header)),
		row(COLUMNS.map((column) => (column.left ? '---' : '---:'))),
		...report.rows.map((line) => row(COLUMNS.map((column) => column.cell(line)))),
		...footer(report),
	].join('\n');
}

function footer(report: BenchReport): string[] {
	const lines: string[] = [];
	if (report.skipped.length > 0) {
		lines.push('', 'Skipped:');
		const byReason = new Map<string, string[]>();
		for (const skip of report.skipped) {
			const rows = byReason.get(skip.reason) ?? [];
			rows.push(`${skip.server} ${skip.workload} ×${skip.clients}`);
			byReason.set(skip.reason, rows);
		}
		for (const [reason, rows] of byReason) lines.push(`- ${reason}: ${rows.join(', ')}`);
	}
	if (report.targets.length > 0) {
		lines.push('', 'Targets:');
		for (const target of report.targets)
			lines.push(
				`- ${target.met === null ? 'n/a ' : target.met ? 'met ' : 'MISSED'} ${target.name}: ${target.detail}`,
			);
	}
	return lines;
}

/** The performance goals (readme, Performance) that the rows can answer, each against its baseline in the same run. */
export function evaluateTargets(rows: readonly BenchRow[], cores: number): Target[] {
	const targets: Target[] = [];
	const find = (server: string, clients: number) =>
		rows.find(
			(row) =>
				row.server === server &&
				row.workload === 'echo' &&
				row.clients === clients &&
				row.form === undefined,
		);
	const goal = (server: string, clients: number, least: number) => {
		const row = find(server, clients);
		if (!row) return;
		targets.push({
			name: `${server} ≥ ${least.toFixed(1)}× plain msgs/s at ${clients} connections on ${cores} cores`,
			// Clients that never had a reply make a rate from the few served: not the goal.
			met:
				row.ratioMessagesPerSec === null
					? null
					: row.starved === 0 && row.ratioMessagesPerSec >= least,
			detail:
				row.ratioMessagesPerSec === null
					? 'no ratio (load generator saturated)'
					: `${row.starved > 0 ? `${row.starved} of ${row.clients} clients starved; ` : ''}${row.ratioMessagesPerSec.toFixed(2)}× msgs/s, p99 ${row.ratioP99?.toFixed(2) ?? '-'}×; server CPU per message ${row.ratioCpuPerMessage?.toFixed(2) ?? '-'}× plain's`,
		});
	};
	goal('async', 100, 1);
	goal('async', 1000, 1);
	goal('cluster', 100, 1.3);
	goal('thread', 100, 0.5);
	goal('pool', 100, 0.5);
	for (const row of rows.filter(
		(candidate) =>
			candidate.form !== undefined && !candidate.baseline && candidate.workload === 'echo',
	)) {
		const harsh = row.form === 'harsh';
		const last = harsh
			? row.allFirstReplyMs === null || row.connect.maxMs === null
				? null
				: row.connect.maxMs + row.allFirstReplyMs
			: row.allFirstReplyMs;
		targets.push({
			name: harsh
				? `harsh storm on ${row.server}: ${row.clients} connect, then all send at once; connect + first reply < 1 s`
				: `storm on ${row.server} busy with ${row.backgroundClients} clients: ${row.clients} connect at once, every first reply < 1 s`,
			met: last !== null && last < 1000,
			detail: `${harsh ? `slowest connect ${formatDuration(row.connect.maxMs ?? 0)}, ` : ''}${row.allFirstReplyMs === null ? `${row.starved} clients had no reply` : `last first reply after ${formatDuration(row.allFirstReplyMs)}`}; ${row.listenOverflows ?? '?'} connects dropped (ListenOverflows)`,
		});
	}
	return targets;
}
