import {formatBytes, formatDuration} from '../format.js';
import type {Environment} from './environment.js';
import type {RowFigures, RowSpec} from './run-row.js';

/**
 * One line of the comparison table, as `--json` prints it: the row's measured figures (RowFigures,
 * its round trips flattened), what the row ran, and the ratios and verdict drawn from them. Times in
 * ms, memory in bytes, CPU in % of one core.
 */
export type BenchRow = Omit<RowFigures, 'rtt'> & {
	readonly server: string;
	readonly baseline: boolean;
	readonly workload: string;
	/** Concurrent clients; in a storm row, the clients of the storm. */
	readonly clients: number;
	/** Storm rows: the busy clients already running when the storm hits (msgs/s and RTT are theirs). */
	readonly backgroundClients?: number;
	readonly size: number;
	readonly depth: number;
	readonly rttP50Ms: number | null;
	readonly rttP99Ms: number | null;
	readonly rttMaxMs: number | null;
	/**
	 * Server CPU time per round trip, in µs: what a message costs the server whatever else the
	 * machine does, so it stays steady where msgs/s swing with the load of other tenants.
	 */
	readonly cpuMicrosPerMessage: number | null;
	/** cpuMicrosPerMessage over the baseline's (paired runs when repeated). */
	readonly ratioCpuPerMessage: number | null;
	/** messages/s over the baseline's in the same run (for saturation: over the first row's). */
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
	readonly startedAt: string;
	readonly environment: Environment;
	readonly settings: Readonly<Record<string, number | string | readonly (string | number)[]>>;
	readonly rows: readonly BenchRow[];
	readonly skipped: readonly Skipped[];
	readonly targets: readonly Target[];
	/** Scenario-specific tables (memory, dashboard). */
	readonly extra?: Readonly<Record<string, unknown>>;
};

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

export function toRow(
	spec: RowSpec,
	figures: RowFigures,
	baseline: RowFigures | null,
	isBaseline: boolean,
	/** Ratios measured otherwise (paired runs); by default this row's figures over the baseline's. */
	ratios?: {
		readonly messagesPerSec: number | null;
		readonly p99: number | null;
		readonly cpuPerMessage: number | null;
	},
): BenchRow {
	const perMessage = cpuPerMessage(figures);
	const basePerMessage = baseline && cpuPerMessage(baseline);
	const ratioCpu = ratios
		? ratios.cpuPerMessage
		: perMessage !== null && basePerMessage
			? perMessage / basePerMessage
			: null;
	const extraRssPerClient =
		baseline === null ? null : (figures.peakRssBytes - baseline.peakRssBytes) / spec.clients;
	const ratio = ratios
		? ratios.messagesPerSec
		: baseline && baseline.messagesPerSec > 0
			? figures.messagesPerSec / baseline.messagesPerSec
			: null;
	const ratioP99 = ratios
		? ratios.p99
		: baseline?.rtt && figures.rtt && baseline.rtt.p99Ms > 0
			? figures.rtt.p99Ms / baseline.rtt.p99Ms
			: null;
	return {
		server: spec.server,
		baseline: isBaseline,
		workload: spec.workload.name,
		clients: spec.storm ? spec.storm.clients : spec.clients,
		...(spec.storm ? {backgroundClients: spec.clients} : {}),
		size: spec.size,
		depth: spec.depth,
		workers: figures.workers,
		measuredS: round(figures.measuredS),
		messagesPerSec: round(figures.messagesPerSec, 1),
		roundTrips: figures.roundTrips,
		rttP50Ms: figures.rtt && round(figures.rtt.p50Ms),
		rttP99Ms: figures.rtt && round(figures.rtt.p99Ms),
		rttMaxMs: figures.rtt && round(figures.rtt.maxMs),
		allFirstReplyMs: figures.allFirstReplyMs === null ? null : round(figures.allFirstReplyMs, 1),
		firstReplies: figures.firstReplies,
		starved: figures.starved,
		peakThreads: figures.peakThreads,
		peakProcesses: figures.peakProcesses,
		peakRssBytes: figures.peakRssBytes,
		cpuPercent: round(figures.cpuPercent, 1),
		cpuSeconds: round(figures.cpuSeconds, 2),
		cpuMicrosPerMessage: perMessage === null ? null : round(perMessage, 2),
		ratioCpuPerMessage: ratioCpu === null ? null : round(ratioCpu),
		loadCpuPercent: round(figures.loadCpuPercent, 1),
		hostCpuPercent: figures.hostCpuPercent === null ? null : round(figures.hostCpuPercent, 1),
		listenOverflows: figures.listenOverflows,
		ratioMessagesPerSec: ratio === null ? null : round(ratio),
		ratioP99: ratioP99 === null ? null : round(ratioP99),
		verdict: isBaseline
			? [
					'baseline',
					...(figures.listenOverflows
						? [`${figures.listenOverflows} connects dropped (accept queue full)`]
						: []),
				].join('; ')
			: verdict(spec.storm?.clients ?? spec.clients, figures, ratio, ratioP99, extraRssPerClient),
	};
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

const HEADERS = [
	'server',
	'work',
	'clients',
	'workers',
	'msgs/s',
	'×plain',
	'p50',
	'p99',
	'max',
	'all 1st reply',
	'threads',
	'procs',
	'RSS',
	'CPU',
	'CPU/msg',
	'×plain',
	'load CPU',
	'host',
	'verdict',
] as const;

function ms(value: number | null): string {
	return value === null ? '-' : formatDuration(value);
}

function cells(row: BenchRow): string[] {
	return [
		row.server,
		row.workload,
		String(row.clients),
		String(row.workers),
		String(Math.round(row.messagesPerSec)),
		row.ratioMessagesPerSec === null ? '-' : row.ratioMessagesPerSec.toFixed(2),
		ms(row.rttP50Ms),
		ms(row.rttP99Ms),
		ms(row.rttMaxMs),
		row.allFirstReplyMs === null ? `never (${row.starved})` : ms(row.allFirstReplyMs),
		String(row.peakThreads),
		String(row.peakProcesses),
		formatBytes(row.peakRssBytes),
		`${row.cpuPercent.toFixed(0)}%`,
		row.cpuMicrosPerMessage === null ? '-' : `${row.cpuMicrosPerMessage.toFixed(1)}µs`,
		row.ratioCpuPerMessage === null ? '-' : row.ratioCpuPerMessage.toFixed(2),
		`${row.loadCpuPercent.toFixed(0)}%`,
		row.hostCpuPercent === null ? '-' : `${row.hostCpuPercent.toFixed(0)}%`,
		row.verdict,
	];
}

export function formatText(report: BenchReport): string {
	const table = [HEADERS as readonly string[], ...report.rows.map(cells)];
	const widths = HEADERS.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
	const numeric = new Set([2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17]);
	const lines = table.map((line) =>
		line
			.map((cell, column) =>
				column === line.length - 1
					? cell
					: numeric.has(column)
						? cell.padStart(widths[column]!)
						: cell.padEnd(widths[column]!),
			)
			.join('  '),
	);
	return [
		`concurrency-top bench: ${report.scenario} (${report.command})`,
		`${report.environment.cores} cores, Node ${report.environment.node}, message ${report.settings.size} B, depth ${report.settings.depth}, ${report.settings.durationS} s per row, median of ${report.settings.repeat} run(s); CPU: server's and load workers' in % of one core, host in % of all cores; RSS summed over the server's processes`,
		'',
		...lines,
		...footer(report),
	].join('\n');
}

export function formatMarkdown(report: BenchReport): string {
	const row = (items: readonly string[]) => `| ${items.join(' | ')} |`;
	return [
		`Measured with \`${report.command}\` (${report.environment.cores} cores, Node ${report.environment.node}, message ${report.settings.size} B, depth ${report.settings.depth}, ${report.settings.durationS} s per row, median of ${report.settings.repeat} run(s)).`,
		'',
		row(HEADERS),
		row(
			HEADERS.map((_, index) =>
				index === 0 || index === 1 || index === HEADERS.length - 1 ? '---' : '---:',
			),
		),
		...report.rows.map((line) => row(cells(line))),
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

/** The issue's targets that the rows can answer. */
export function evaluateTargets(rows: readonly BenchRow[], cores: number): Target[] {
	const targets: Target[] = [];
	const find = (server: string, clients: number) =>
		rows.find(
			(row) =>
				row.server === server &&
				row.workload === 'echo' &&
				row.clients === clients &&
				row.backgroundClients === undefined,
		);
	for (const clients of [100, 1000]) {
		const row = find('async', clients);
		if (!row || row.ratioMessagesPerSec === null) continue;
		const met = row.ratioMessagesPerSec >= 0.95 && row.ratioP99 !== null && row.ratioP99 <= 1.2;
		targets.push({
			name: `async ≥ 0.95× plain msgs/s and p99 ≤ 1.2× at ${clients} connections`,
			met,
			detail: `${row.ratioMessagesPerSec.toFixed(2)}× msgs/s, p99 ${row.ratioP99?.toFixed(2) ?? '-'}×; server CPU per message ${row.ratioCpuPerMessage?.toFixed(2) ?? '-'}× plain's`,
		});
	}
	const storm =
		rows.find(
			(row) =>
				row.server === 'async' && row.backgroundClients !== undefined && row.clients === 1000,
		) ?? find('async', 1000);
	if (storm)
		targets.push({
			name: `connect storm: 1000 clients at once to async${storm.backgroundClients ? ` busy with ${storm.backgroundClients} clients` : ''}, every first reply within 1 s`,
			met: storm.allFirstReplyMs !== null && storm.allFirstReplyMs <= 1000,
			detail:
				storm.allFirstReplyMs === null
					? `${storm.starved} clients had no reply`
					: `last first reply after ${formatDuration(storm.allFirstReplyMs)}`,
		});
	const threaded = ['thread', 'pool', 'hybrid', 'reactor']
		.map((server) => find(server, 100))
		.filter((row): row is BenchRow => row !== undefined)
		.sort((a, b) => b.messagesPerSec - a.messagesPerSec)[0];
	for (const row of [find('cluster', 100), threaded]) {
		if (!row || row.ratioMessagesPerSec === null) continue;
		targets.push({
			name: `${row.server} faster than plain at 100 connections on ${cores} cores`,
			met: row.ratioMessagesPerSec > 1,
			detail: `${row.ratioMessagesPerSec.toFixed(2)}× plain msgs/s`,
		});
	}
	return targets;
}
