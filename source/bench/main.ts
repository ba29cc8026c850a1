import {UsageError} from '../options.js';
import type {ModeName} from '../server/mode.js';
import {runDashboardScenario} from './dashboard.js';
import {checkEnvironment, skipReason, type Environment} from './environment.js';
import {BENCH_HELP, parseBenchOptions, type BenchOptions} from './options.js';
import {LoadWorkers, type ServerKind} from './processes.js';
import {Progress} from './progress.js';
import {
	cpuPerMessage,
	evaluateTargets,
	formatMarkdown,
	formatText,
	toRow,
	type BenchReport,
	type BenchRow,
	type ScenarioResult,
	type Skipped,
	type Target,
} from './report.js';
import {measureMemory, runRow, type RowFigures, type RowSpec} from './run-row.js';
import {workload, type Workload} from './workload.js';
import {formatBytes} from '../format.js';

/** `concurrency-top bench …`: returns the exit status. */
export async function benchMain(args: readonly string[]): Promise<number> {
	let options: BenchOptions;
	try {
		options = parseBenchOptions(args);
	} catch (error: unknown) {
		if (error instanceof UsageError) {
			process.stderr.write(`concurrency-top: ${error.message}\n`);
			return 2;
		}
		throw error;
	}
	if (options.help) {
		process.stdout.write(`${BENCH_HELP.trim()}\n`);
		return 0;
	}
	const env = checkEnvironment();
	const command = `concurrency-top bench ${args.join(' ')}`.trim();
	const base = {
		tool: 'concurrency-top bench',
		scenario: options.scenario,
		command,
		startedAt: new Date().toISOString(),
		environment: env,
		settings: {
			modes: options.modes,
			clients: options.clients,
			workloads: options.workloads,
			size: options.size,
			depth: options.depth,
			workers: options.workers,
			durationS: options.durationS,
			repeat: options.repeat,
			workMs: options.workMs,
			delayMs: options.delayMs,
		},
	} as const;
	for (const note of env.notes) process.stderr.write(`bench: ${note}\n`);
	let report: BenchReport;
	switch (options.scenario) {
		case 'matrix':
		case 'storm': {
			report = {...base, ...(await runMatrix(options, env))};
			break;
		}
		case 'saturation': {
			report = {...base, ...(await runSaturation(options, env))};
			break;
		}
		case 'memory': {
			report = {...base, ...(await runMemory(options, env))};
			break;
		}
		case 'dashboard': {
			report = {...base, ...(await runDashboardScenario(options, env))};
			break;
		}
	}
	process.stdout.write(`${render(report, options)}\n`);
	return 0;
}

function render(report: BenchReport, options: BenchOptions): string {
	if (options.format === 'json') return JSON.stringify(report, null, 2);
	if (report.scenario === 'memory') return formatMemory(report, options.format === 'markdown');
	const extra = report.extra ? formatExtra(report.extra) : '';
	const table = options.format === 'markdown' ? formatMarkdown(report) : formatText(report);
	return report.rows.length > 0 ? `${table}${extra}` : `${formatText(report)}${extra}`;
}

type MemoryLine = {
	server: string;
	connections: number;
	served: number;
	baseRssBytes: number;
	loadedRssBytes: number;
	bytesPerConnection: number;
};

function formatMemory(report: BenchReport, markdown: boolean): string {
	const lines = (report.extra?.memory ?? []) as MemoryLine[];
	const headers = ['server', 'connections', 'served', 'RSS idle', 'RSS loaded', 'per connection'];
	const table = [
		headers,
		...lines.map((line) => [
			line.server,
			String(line.connections),
			String(line.served),
			formatBytes(line.baseRssBytes),
			formatBytes(line.loadedRssBytes),
			line.bytesPerConnection < 0 ? '~0' : formatBytes(line.bytesPerConnection),
		]),
	];
	const title = `concurrency-top bench: memory per idle connection (${report.command}); RSS of the server's processes, median of 5 readings`;
	const skipped = report.skipped.map((skip) => `skipped ${skip.server}: ${skip.reason}`);
	if (markdown)
		return [
			title,
			'',
			`| ${headers.join(' | ')} |`,
			`| --- | ${headers
				.slice(1)
				.map(() => '---:')
				.join(' | ')} |`,
			...table.slice(1).map((row) => `| ${row.join(' | ')} |`),
			...skipped,
		].join('\n');
	const widths = headers.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
	return [
		title,
		'',
		...table.map((row) =>
			row
				.map((cell, column) =>
					column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
				)
				.join('  '),
		),
		...skipped,
	].join('\n');
}

function formatExtra(extra: Readonly<Record<string, unknown>>): string {
	const lines: string[] = [];
	for (const [name, value] of Object.entries(extra)) {
		lines.push('', `${name}:`);
		if (Array.isArray(value)) for (const item of value) lines.push(`  ${JSON.stringify(item)}`);
		else lines.push(`  ${JSON.stringify(value)}`);
	}
	return lines.join('\n');
}

type Planned = {readonly spec: RowSpec; readonly baseline: boolean};

/** The rows to run, plain first in every (workload, clients) group so the ratios are at hand. */
/** Busy clients already running when a storm hits. */
export const STORM_BACKGROUND_CLIENTS = 100;

function plan(
	options: BenchOptions,
	env: Environment,
	stormWorkers?: LoadWorkers,
): {planned: Planned[]; skipped: Skipped[]} {
	const planned: Planned[] = [];
	const skipped: Skipped[] = [];
	for (const name of options.workloads) {
		const work = workload(name, options.workMs, options.delayMs);
		for (const clients of options.clients) {
			const servers: ServerKind[] = ['plain', ...options.modes];
			for (const server of servers) {
				const total = stormWorkers ? clients + STORM_BACKGROUND_CLIENTS : clients;
				const reason = skipReason(env, server, total, options.workers);
				if (reason) {
					skipped.push({server, workload: name, clients, reason});
					continue;
				}
				planned.push({
					spec: {
						server,
						workload: work,
						clients: stormWorkers ? STORM_BACKGROUND_CLIENTS : clients,
						...(stormWorkers ? {storm: {clients, workers: stormWorkers}} : {}),
						size: options.size,
						depth: options.depth,
						durationS: options.durationS,
					},
					baseline: server === 'plain',
				});
			}
		}
	}
	return {planned, skipped};
}

/** One stderr line per reason, naming the rows it skips. */
function reportSkipped(skipped: readonly Skipped[]): void {
	const byReason = new Map<string, string[]>();
	for (const skip of skipped) {
		const rows = byReason.get(skip.reason) ?? [];
		rows.push(`${skip.server} ${skip.workload} ×${skip.clients}`);
		byReason.set(skip.reason, rows);
	}
	for (const [reason, rows] of byReason)
		process.stderr.write(`bench: skipping ${rows.join(', ')}: ${reason}\n`);
}

const label = (spec: RowSpec, workers?: number) =>
	`${spec.server} ${spec.workload.name} ×${spec.clients}${spec.storm ? ` + storm of ${spec.storm.clients}` : ''}${workers ? ` (${workers} load processes)` : ''}`;

async function runMatrix(options: BenchOptions, env: Environment): Promise<ScenarioResult> {
	// A storm's clients connect from load processes of their own, whose event loops are not busy
	// with the background load: the time to a first reply is then the server's doing.
	const stormWorkers =
		options.scenario === 'storm' ? LoadWorkers.start(options.workers) : undefined;
	const {planned, skipped} = plan(options, env, stormWorkers);
	reportSkipped(skipped);
	const progress = new Progress(planned.length * options.repeat, options.durationS * 1000 + 1500);
	const workers = LoadWorkers.start(options.workers);
	// Repeats go round the whole group (plain, a, b, plain, a, b, …), so a noisy moment of the
	// machine hits every server of the group alike rather than all runs of one.
	const runs = planned.map(() => [] as RowFigures[]);
	const group = (spec: RowSpec) =>
		`${spec.workload.name}/${spec.clients}/${spec.storm?.clients ?? 0}`;
	const groups = [...new Set(planned.map(({spec}) => group(spec)))];
	try {
		for (const key of groups) {
			for (let round = 0; round < options.repeat; round++) {
				for (const [index, {spec}] of planned.entries()) {
					if (group(spec) !== key) continue;
					progress.step(
						`${label(spec)}${options.repeat > 1 ? ` (run ${round + 1} of ${options.repeat})` : ''}`,
					);
					runs[index]!.push(await runRow(spec, workers));
					progress.advance();
				}
			}
		}
	} finally {
		progress.finish();
		await Promise.all([workers.stop(), stormWorkers?.stop()]);
	}
	const baselineIndex = new Map<string, number>();
	planned.forEach(({spec, baseline}, index) => {
		if (baseline) baselineIndex.set(group(spec), index);
	});
	const rows = planned.map(({spec, baseline}, index) => {
		const base = baselineIndex.get(group(spec));
		const baseRuns = base === undefined ? null : runs[base]!;
		return {
			...toRow(
				spec,
				medianOf(runs[index]!),
				baseRuns && medianOf(baseRuns),
				baseline,
				baseRuns ? pairedRatios(runs[index]!, baseRuns) : undefined,
			),
			runs: runs[index]!.map((figures) => Math.round(figures.messagesPerSec)),
		};
	});
	return {rows, skipped, targets: evaluateTargets(rows, env.cores)};
}

/**
 * Each run over the baseline run of the same round, then the median: the machine's load drifts over
 * seconds (other tenants), and runs next to each other in time share most of it.
 */
function pairedRatios(
	runs: readonly RowFigures[],
	baseRuns: readonly RowFigures[],
): {messagesPerSec: number | null; p99: number | null; cpuPerMessage: number | null} {
	const rates: number[] = [];
	const p99s: number[] = [];
	const cpus: number[] = [];
	runs.forEach((figures, round) => {
		const base = baseRuns[round];
		if (!base) return;
		if (base.messagesPerSec > 0) rates.push(figures.messagesPerSec / base.messagesPerSec);
		if (figures.rtt && base.rtt && base.rtt.p99Ms > 0)
			p99s.push(figures.rtt.p99Ms / base.rtt.p99Ms);
		const cpu = cpuPerMessage(figures);
		const baseCpu = cpuPerMessage(base);
		if (cpu !== null && baseCpu) cpus.push(cpu / baseCpu);
	});
	return {
		messagesPerSec: rates.length > 0 ? median(rates) : null,
		p99: p99s.length > 0 ? median(p99s) : null,
		cpuPerMessage: cpus.length > 0 ? median(cpus) : null,
	};
}

const median = (values: readonly number[]) => {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * The figures of repeated runs of one row: the median of each rate, time and CPU figure, the
 * peaks' maximum; a client that starved in any run counts as starved.
 */
export function medianOf(runs: readonly RowFigures[]): RowFigures {
	const first = runs[0]!;
	if (runs.length === 1) return first;
	const pick = (get: (figures: RowFigures) => number) => median(runs.map(get));
	const rtts = runs.map((figures) => figures.rtt).filter((rtt) => rtt !== null);
	const starved = Math.max(...runs.map((figures) => figures.starved));
	const hosts = runs.map((figures) => figures.hostCpuPercent).filter((value) => value !== null);
	return {
		messagesPerSec: pick((figures) => figures.messagesPerSec),
		roundTrips: pick((figures) => figures.roundTrips),
		measuredS: pick((figures) => figures.measuredS),
		rtt:
			rtts.length === 0
				? null
				: {
						p50Ms: median(rtts.map((rtt) => rtt.p50Ms)),
						p99Ms: median(rtts.map((rtt) => rtt.p99Ms)),
						maxMs: median(rtts.map((rtt) => rtt.maxMs)),
						samples: rtts.reduce((sum, rtt) => sum + rtt.samples, 0),
					},
		allFirstReplyMs:
			starved > 0 ? null : pick((figures) => figures.allFirstReplyMs ?? Number.POSITIVE_INFINITY),
		firstReplies: Math.min(...runs.map((figures) => figures.firstReplies)),
		starved,
		peakThreads: Math.max(...runs.map((figures) => figures.peakThreads)),
		peakProcesses: Math.max(...runs.map((figures) => figures.peakProcesses)),
		peakRssBytes: Math.max(...runs.map((figures) => figures.peakRssBytes)),
		cpuPercent: pick((figures) => figures.cpuPercent),
		cpuSeconds: pick((figures) => figures.cpuSeconds),
		workers: first.workers,
		loadCpuPercent: pick((figures) => figures.loadCpuPercent),
		hostCpuPercent: hosts.length === 0 ? null : median(hosts),
		listenOverflows: runs.some((figures) => figures.listenOverflows === null)
			? null
			: Math.max(...runs.map((figures) => figures.listenOverflows!)),
	};
}

/**
 * Is the server the bottleneck? The plain server under the same clients, driven by 1, 2, 3 and 4
 * load-generator processes: if more processes stop raising msgs/s, the load generator is not what
 * limits the figures.
 */
async function runSaturation(options: BenchOptions, env: Environment): Promise<ScenarioResult> {
	const clients = options.clients[0]!;
	const counts = [1, 2, 3, 4];
	const work = workload('echo', 0, 0);
	const progress = new Progress(counts.length, options.durationS * 1000 + 1500);
	const rows: BenchRow[] = [];
	let first: RowFigures | null = null;
	try {
		for (const count of counts) {
			const spec: RowSpec = {
				server: 'plain',
				workload: work,
				clients,
				size: options.size,
				depth: options.depth,
				durationS: options.durationS,
			};
			progress.step(label(spec, count));
			const workers = LoadWorkers.start(count);
			try {
				const figures = await runRow(spec, workers);
				first ??= figures;
				const row = toRow(spec, figures, first, false);
				rows.push({
					...row,
					verdict: `${row.ratioMessagesPerSec?.toFixed(2)}× the msgs/s of 1 load process`,
				});
			} finally {
				await workers.stop();
			}
			progress.advance();
		}
	} finally {
		progress.finish();
	}
	const best = rows.reduce((a, b) => (b.messagesPerSec > a.messagesPerSec ? b : a), rows[0]!);
	const last = rows.at(-1)!;
	const fewer = Math.max(...rows.slice(0, -1).map((row) => row.messagesPerSec));
	const targets: Target[] = [
		{
			// Flat within 10% (the noise of a shared machine) from the second-last step on.
			name: 'more load processes stop raising msgs/s (the load generator is not the bottleneck)',
			met: last.messagesPerSec <= 1.1 * fewer,
			detail: `peak ${Math.round(best.messagesPerSec)}/s at ${best.workers} load process${best.workers > 1 ? 'es' : ''}; ${last.workers} give ${(last.messagesPerSec / fewer).toFixed(2)}× the best of fewer; host CPU ${rows.map((row) => `${row.hostCpuPercent?.toFixed(0) ?? '-'}%`).join('/')} on ${env.cores} cores`,
		},
	];
	return {rows, skipped: [], targets};
}

/** RSS per idle connection of each model (and plain), at `--clients` (default 100) connections. */
async function runMemory(
	options: BenchOptions,
	env: Environment,
): Promise<ScenarioResult & {extra: Record<string, unknown>}> {
	const clients = options.clients[0]!;
	const work: Workload = workload('echo', 0, 0);
	const servers: ServerKind[] = ['plain', ...(options.modes as ModeName[])];
	const skipped: Skipped[] = [];
	const runnable = servers.filter((server) => {
		const reason = skipReason(env, server, clients, options.workers);
		if (reason) skipped.push({server, workload: 'echo', clients, reason});
		return reason === null;
	});
	reportSkipped(skipped);
	const progress = new Progress(runnable.length, 3000);
	const workers = LoadWorkers.start(options.workers);
	const memory: Record<string, unknown>[] = [];
	try {
		for (const server of runnable) {
			progress.step(`${server} with ${clients} idle connections`);
			const result = await measureMemory(server, work, clients, workers);
			memory.push({
				server,
				connections: clients,
				served: result.served,
				baseRssBytes: result.baseRssBytes,
				loadedRssBytes: result.loadedRssBytes,
				bytesPerConnection: Math.round(result.bytesPerConnection),
				perConnection: formatBytes(Math.max(0, result.bytesPerConnection)),
			});
			progress.advance();
		}
	} finally {
		progress.finish();
		await workers.stop();
	}
	return {rows: [], skipped, targets: [], extra: {memory}};
}
