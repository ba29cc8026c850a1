import {jsonDocument} from '../metrics/json-output.js';
import {UsageError} from '../options/values.js';
import type {ModeName} from '../server/mode.js';
import {checkDashboardNeeds, runDashboardScenario} from './terminal-scenario.js';
import {checkEnvironment, skipReason, type Environment} from './environment.js';
import {parseBenchOptions, type BenchFlags, type BenchOptions} from './options.js';
import {buildLoadgen, type Loadgen} from './loadgen.js';
import {isTutorial, LoadWorkers, MODEL_BACKLOG, type ServerKind} from './processes.js';
import {formatCharts} from './chart.js';
import {Progress} from './progress.js';
import {
	cpuPerMessage,
	evaluateTargets,
	formatMarkdown,
	formatText,
	serverLabel,
	toRow,
	type BenchReport,
	type BenchRow,
	type ScenarioResult,
	type Skipped,
	type Target,
} from './report.js';
import {measureMemory, runRow, type Load, type RowFigures, type RowSpec} from './run-row.js';
import {workload, type Workload} from './workload.js';
import {formatBytes} from '../shared/format.js';
import {isUnicodeSafe} from '../terminal/capabilities.js';
import {asciiText} from '../terminal/ascii.js';
import {drawTable} from './text-table.js';
import {
	addCounts,
	EMPTY_SUMMARY,
	histogramBuckets,
	type LatencySummary,
} from '../metrics/latency.js';

/** `concurrency-top bench …`: returns the exit status. */
export async function benchMain(values: BenchFlags, args: readonly string[]): Promise<number> {
	let options: BenchOptions;
	try {
		options = parseBenchOptions(values);
	} catch (error: unknown) {
		if (error instanceof UsageError) {
			process.stderr.write(`concurrency-top: ${error.message}\n`);
			return 2;
		}
		throw error;
	}
	if (options.scenario === 'dashboard') await checkDashboardNeeds();
	const env = await checkEnvironment();
	const command = `concurrency-top bench ${args.join(' ')}`.trim();
	const at = Date.now();
	const base = {
		tool: 'concurrency-top bench',
		scenario: options.scenario,
		command,
		at,
		startedAt: new Date(at).toISOString(),
		environment: env,
		settings: benchSettings(options),
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
	process.stdout.write(`${await renderBench(report, options)}\n`);
	return 0;
}

/** The flags the report was measured with, and the schedule its clients ran. */
export function benchSettings(options: BenchOptions): BenchReport['settings'] {
	return {
		modes: options.modes,
		clients: options.clients,
		workloads: options.workloads,
		size: options.size,
		depth: options.depth,
		schedule: options.ratePerSec === null ? 'closed-loop' : 'fixed-rate',
		ratePerSec: options.ratePerSec,
		messageTimeoutMs: options.messageTimeoutMs,
		workers: options.workers,
		durationS: options.durationS,
		repeat: options.repeat,
		workMs: options.workMs,
		delayMs: options.delayMs,
		poolSize: options.poolSize,
	};
}

/**
 * The report as the chosen format prints it: JSON, Markdown, or text for a terminal, in ASCII where
 * the terminal or locale cannot show more (`unicode` false: source/terminal/capabilities.ts).
 */
export async function renderBench(
	report: BenchReport,
	options: Pick<BenchOptions, 'format' | 'wide' | 'chart'>,
	unicode = isUnicodeSafe(),
): Promise<string> {
	if (options.format === 'json') return JSON.stringify(jsonDocument(benchJson(report)), null, 2);
	const markdown = options.format === 'markdown';
	const text = await renderDocument(report, options, markdown);
	return markdown || unicode ? text : asciiText(text);
}

async function renderDocument(
	report: BenchReport,
	options: Pick<BenchOptions, 'wide' | 'chart'>,
	markdown: boolean,
): Promise<string> {
	if (report.scenario === 'memory') return formatMemory(report, markdown);
	const extra = report.extra
		? markdown
			? markdownExtra(report.extra)
			: formatExtra(report.extra)
		: '';
	const width = options.wide ? Number.POSITIVE_INFINITY : (process.stdout.columns ?? 160);
	const table = markdown ? formatMarkdown(report) : await formatText(report, width);
	const charts = options.chart ? formatCharts(report.rows, Math.min(width, 100)) : '';
	// In Markdown the charts are preformatted text: fenced, or their columns of bars collapse.
	const chart =
		charts === '' ? '' : markdown ? `\n\n\`\`\`text\n${charts}\n\`\`\`` : `\n\n${charts}`;
	return `${table}${extra}${chart}`;
}

/** The extras in Markdown: the generator's calibration in words, anything else as fenced JSON. */
function markdownExtra(extra: Readonly<Record<string, unknown>>): string {
	return Object.entries(extra)
		.map(([name, value]) => {
			if (name === 'calibration') {
				const {messagesPerSec, loadCpuPercent, messagesPerCoreSecond} = value as Calibration;
				return `\n\nThe C generator, calibrated against the plain server at 100 clients, drove ${messagesPerSec} msgs/s using ${loadCpuPercent}% of a core: about ${messagesPerCoreSecond} msgs/s per core it can drive.`;
			}
			return `\n\n${name}:\n\n\`\`\`json\n${JSON.stringify(value, null, 2)}\n\`\`\``;
		})
		.join('');
}

/**
 * bench's JSON: the report, each row's round trips as `latency` with their histogram, as in every
 * command (`rtt`, without it, is the schema-2 name, kept until 0.3).
 */
function benchJson(report: BenchReport): object {
	return {
		...report,
		rows: report.rows.map(({histogram, ...row}) => ({
			...row,
			latency: {...row.rtt, histogram: histogramBuckets(histogram)},
		})),
	};
}

type MemoryLine = {
	server: string;
	connections: number;
	served: number;
	baseRssBytes: number;
	loadedRssBytes: number;
	bytesPerConnection: number;
};

async function formatMemory(report: BenchReport, markdown: boolean): Promise<string> {
	const lines = (report.extra?.memory ?? []) as MemoryLine[];
	const headers = ['server', 'connections', 'served', 'RSS idle', 'RSS loaded', 'per connection'];
	const cells = lines.map((line) => [
		line.server,
		String(line.connections),
		String(line.served),
		formatBytes(line.baseRssBytes),
		formatBytes(line.loadedRssBytes),
		line.bytesPerConnection < 0 ? '~0' : formatBytes(line.bytesPerConnection),
	]);
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
			...cells.map((row) => `| ${row.join(' | ')} |`),
			...skipped,
		].join('\n');
	const table = await drawTable(
		headers.map((header, column) => ({header, left: column === 0})),
		cells,
	);
	return [title, '', ...table, ...skipped].join('\n');
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

/** Busy clients already running when a storm hits. */
export const STORM_BACKGROUND_CLIENTS = 100;

/** The listen backlog of a row's server: a model's own; an outside server is compared with Node's default. */
const backlogOf = (server: ServerKind): number =>
	server === 'plain' || server === 'target' || isTutorial(server) ? 511 : MODEL_BACKLOG[server];

type Loads = {
	readonly main: Load;
	/** The storm's own clients (busy form). */
	readonly storm?: LoadWorkers;
	/** The busy form's background load when the main load is the C generator. */
	readonly background?: LoadWorkers;
	stop(): Promise<void>;
};

/**
 * The rows to run. In every (workload, clients) group a plain baseline comes first for each listen
 * backlog its models use, so each model is compared with a plain server listening as it does. The
 * storm scenario runs each server twice: busy (Node workers: 1000 connect while 100 keep it busy)
 * and harsh (C generator: 1000 connect, then all send at once and keep echoing).
 */
function plan(
	options: BenchOptions,
	env: Environment,
	loads: Loads,
): {planned: Planned[]; skipped: Skipped[]} {
	const planned: Planned[] = [];
	const skipped: Skipped[] = [];
	const forms: ('busy' | 'harsh' | undefined)[] =
		options.scenario !== 'storm'
			? [undefined]
			: loads.main.kind === 'c'
				? ['busy', 'harsh']
				: ['busy'];
	// Each model's tutorial server right after it, so the two meet the machine in the same moment.
	const others: ServerKind[] = [
		...options.modes.flatMap((mode): ServerKind[] =>
			(options.tutorial as readonly string[]).includes(mode)
				? [mode, `py-${mode}` as ServerKind]
				: [mode],
		),
		...options.tutorial
			.filter((model) => !(options.modes as readonly string[]).includes(model))
			.map((model) => `py-${model}` as const),
		...(options.target ? (['target'] as const) : []),
	];
	const backlogs = [...new Set([511, ...options.modes.map((mode) => MODEL_BACKLOG[mode])])];
	for (const name of options.workloads) {
		const work = workload(name, options.workMs, options.delayMs, options.poolSize);
		for (const clients of options.clients)
			for (const form of forms) {
				const servers = [
					...backlogs.map((backlog) => ({server: 'plain' as const, backlog})),
					...others.map((server) => ({server, backlog: backlogOf(server)})),
				];
				for (const {server, backlog} of servers) {
					const busy = form === 'busy';
					const total = busy ? clients + STORM_BACKGROUND_CLIENTS : clients;
					const reason =
						server === 'target' ? null : skipReason(env, server, total, options.workers);
					if (reason) {
						skipped.push({server, workload: name, clients, reason});
						continue;
					}
					planned.push({
						spec: {
							server,
							workload: work,
							clients: busy ? STORM_BACKGROUND_CLIENTS : clients,
							...(busy ? {storm: {clients, workers: loads.storm!}} : {}),
							...(form ? {form} : {}),
							...(server === 'target' ? {target: options.target!} : {}),
							size: options.size,
							depth: options.depth,
							ratePerSec: options.ratePerSec,
							messageTimeoutMs: options.messageTimeoutMs,
							durationS: options.durationS,
							warmupS: options.warmupS,
							backlog,
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
	`${serverLabel(spec)} ${spec.workload.name} ×${spec.clients}${spec.storm ? ` + storm of ${spec.storm.clients}` : ''}${workers ? ` (${workers} load processes)` : ''}`;

/**
 * The load of the whole bench: the C generator when asked for and `cc` builds it (else the Node
 * workers, with a line saying why), and for the storm's busy form, Node workers of its own.
 */
async function startLoads(options: BenchOptions): Promise<Loads> {
	const built = options.generator === 'c' ? await buildLoadgen() : null;
	if (typeof built === 'string')
		process.stderr.write(
			`bench: ${built}: the load comes from Node load workers, which top out below the servers (see bench/README.md)\n`,
		);
	const workers = built && typeof built !== 'string' ? null : LoadWorkers.start(options.workers);
	const main: Load = workers
		? {kind: 'node', workers}
		: {kind: 'c', loadgen: built as Loadgen, processes: options.workers};
	// A storm's clients connect from load processes of their own, whose event loops are not busy
	// with the background load: the time to a first reply is then the server's doing.
	const storm = options.scenario === 'storm' ? LoadWorkers.start(options.workers) : undefined;
	const background = main.kind === 'c' && storm ? LoadWorkers.start(options.workers) : undefined;
	return {
		main,
		...(storm ? {storm} : {}),
		...(background ? {background} : {}),
		async stop() {
			await Promise.all([workers?.stop(), storm?.stop(), background?.stop()]);
			if (main.kind === 'c') main.loadgen.dispose();
		},
	};
}

async function runMatrix(options: BenchOptions, env: Environment): Promise<ScenarioResult> {
	const loads = await startLoads(options);
	const {planned, skipped} = plan(options, env, loads);
	reportSkipped(skipped);
	const progress = new Progress(
		planned.length * options.repeat + (loads.main.kind === 'c' ? 1 : 0),
		(options.durationS + options.warmupS) * 1000 + 1500,
	);
	// The busy form of a storm keeps its background load on Node workers: the storm is timed there.
	const loadOf = (spec: RowSpec): Load =>
		spec.storm && loads.main.kind === 'c' ? {kind: 'node', workers: loads.background!} : loads.main;
	// Repeats go round the whole group (plain, a, b, plain, a, b, …), so a noisy moment of the
	// machine hits every server of the group alike rather than all runs of one.
	const runs = planned.map(() => [] as RowFigures[]);
	const groups = [...new Set(planned.map(({spec}) => group(spec)))];
	let calibration: Calibration | null = null;
	try {
		if (loads.main.kind === 'c') {
			progress.step('calibration: the C generator against the plain server, 100 clients');
			calibration = await calibrate(options, loads.main);
			progress.advance();
		}
		for (const key of groups)
			for (let round = 0; round < options.repeat; round++)
				for (const [index, {spec}] of planned.entries()) {
					if (group(spec) !== key) continue;
					progress.step(
						`${label(spec)}${options.repeat > 1 ? ` (run ${round + 1} of ${options.repeat})` : ''}`,
					);
					runs[index]!.push(await runRow(spec, loadOf(spec)));
					progress.advance();
				}
	} finally {
		progress.finish();
		await loads.stop();
	}
	const rows = toRows(planned, runs, calibration);
	return {
		rows,
		skipped,
		targets: evaluateTargets(rows, env.cores),
		...(calibration ? {extra: {calibration}} : {}),
	};
}

const group = (spec: RowSpec) =>
	`${spec.workload.name}/${spec.clients}/${spec.storm?.clients ?? 0}/${spec.form ?? ''}`;

/** Each row's medians and its ratios to the plain baseline of its group with its backlog. */
function toRows(
	planned: readonly Planned[],
	runs: readonly RowFigures[][],
	calibration: Calibration | null,
): BenchRow[] {
	const baselineIndex = new Map<string, number>();
	planned.forEach(({spec, baseline}, index) => {
		if (baseline) baselineIndex.set(`${group(spec)}@${spec.backlog}`, index);
	});
	return planned.map(({spec, baseline}, index) => {
		const base = baselineIndex.get(`${group(spec)}@${spec.backlog}`);
		const baseRuns = base === undefined || base === index ? null : runs[base]!;
		const figures = medianOf(runs[index]!);
		return {
			...toRow(
				spec,
				{...figures, generatorSaturated: saturated(figures, calibration)},
				baseRuns && medianOf(baseRuns),
				baseline,
				baseline
					? {messagesPerSec: 1, p99: 1, cpuPerMessage: 1}
					: baseRuns
						? pairedRatios(runs[index]!, baseRuns)
						: undefined,
			),
			runs: runs[index]!.map((run) => Math.round(run.messagesPerSec)),
		};
	});
}

/**
 * What the C generator can drive: msgs/s per second of its own CPU, measured against the plain
 * server at 100 clients. A row that reaches 90% of that for its load processes, or whose busiest
 * load process was saturated, measures the generator.
 */
type Calibration = {
	readonly messagesPerSec: number;
	readonly loadCpuPercent: number;
	readonly messagesPerCoreSecond: number;
};

async function calibrate(options: BenchOptions, load: Load): Promise<Calibration> {
	const figures = await runRow(
		{
			server: 'plain',
			workload: workload('echo', 0, 0),
			clients: 100,
			size: options.size,
			depth: options.depth,
			// What the generator can drive flat out: the closed loop, whatever the rows run.
			ratePerSec: null,
			messageTimeoutMs: options.messageTimeoutMs,
			durationS: Math.min(2, options.durationS),
			warmupS: Math.min(1, options.warmupS),
			backlog: 511,
		},
		load,
	);
	const calibration = {
		messagesPerSec: Math.round(figures.messagesPerSec),
		loadCpuPercent: Math.round(figures.loadCpuPercent),
		messagesPerCoreSecond: Math.round(
			figures.messagesPerSec / Math.max(0.01, figures.loadCpuPercent / 100),
		),
	};
	process.stderr.write(
		`bench: calibration: the C generator drove the plain server at ${calibration.messagesPerSec} msgs/s using ${calibration.loadCpuPercent}% of a core: it can drive about ${calibration.messagesPerCoreSecond} msgs/s per core\n`,
	);
	return calibration;
}

function saturated(figures: RowFigures, calibration: Calibration | null): boolean {
	if (figures.generatorSaturated) return true;
	if (!calibration || figures.generator !== 'c') return false;
	return figures.messagesPerSec >= 0.9 * calibration.messagesPerCoreSecond * figures.workers;
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
		if (figures.rtt.p99Ms !== null && base.rtt.p99Ms) p99s.push(figures.rtt.p99Ms / base.rtt.p99Ms);
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
	const starved = Math.max(...runs.map((figures) => figures.starved));
	const hosts = runs.map((figures) => figures.hostCpuPercent).filter((value) => value !== null);
	const errors = (key: keyof RowFigures['errors']) => pick((figures) => figures.errors[key]);
	return {
		...first,
		messagesPerSec: pick((figures) => figures.messagesPerSec),
		bytesPerSec: pick((figures) => figures.bytesPerSec),
		roundTrips: pick((figures) => figures.roundTrips),
		measuredS: pick((figures) => figures.measuredS),
		rtt: medianSummary(runs.map((figures) => figures.rtt)),
		// Every run's round trips: the histogram of the row is their sum, as its samples are.
		histogram: addCounts(runs.map((figures) => figures.histogram)),
		connect: medianSummary(runs.map((figures) => figures.connect)),
		firstReply: medianSummary(runs.map((figures) => figures.firstReply)),
		allFirstReplyMs:
			starved > 0 ? null : pick((figures) => figures.allFirstReplyMs ?? Number.POSITIVE_INFINITY),
		firstReplies: Math.min(...runs.map((figures) => figures.firstReplies)),
		starved,
		errors: {
			refused: errors('refused'),
			resets: errors('resets'),
			closed: errors('closed'),
			timeouts: errors('timeouts'),
			other: errors('other'),
			messageTimeouts: errors('messageTimeouts'),
		},
		peakThreads: Math.max(...runs.map((figures) => figures.peakThreads)),
		peakProcesses: Math.max(...runs.map((figures) => figures.peakProcesses)),
		peakRssBytes: Math.max(...runs.map((figures) => figures.peakRssBytes)),
		cpuPercent: pick((figures) => figures.cpuPercent),
		cpuSeconds: pick((figures) => figures.cpuSeconds),
		workers: Math.max(...runs.map((figures) => figures.workers)),
		loadCpuPercent: pick((figures) => figures.loadCpuPercent),
		loadCpuMaxPercent: pick((figures) => figures.loadCpuMaxPercent),
		generatorSaturated: runs.some((figures) => figures.generatorSaturated),
		hostCpuPercent: hosts.length === 0 ? null : median(hosts),
		listenOverflows: runs.some((figures) => figures.listenOverflows === null)
			? null
			: Math.max(...runs.map((figures) => figures.listenOverflows!)),
	};
}

/** Field by field, the median of the runs that had samples. */
function medianSummary(summaries: readonly LatencySummary[]): LatencySummary {
	const present = summaries.filter((summary) => summary.samples > 0);
	if (present.length === 0) return EMPTY_SUMMARY;
	const field = (key: Exclude<keyof LatencySummary, 'samples'>) =>
		median(present.map((summary) => summary[key]!));
	return {
		samples: present.reduce((sum, summary) => sum + summary.samples, 0),
		p50Ms: field('p50Ms'),
		p90Ms: field('p90Ms'),
		p99Ms: field('p99Ms'),
		p999Ms: field('p999Ms'),
		maxMs: field('maxMs'),
		meanMs: field('meanMs'),
		stdevMs: field('stdevMs'),
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
				ratePerSec: null,
				messageTimeoutMs: options.messageTimeoutMs,
				durationS: options.durationS,
				warmupS: options.warmupS,
				backlog: 511,
			};
			progress.step(label(spec, count));
			const workers = LoadWorkers.start(count);
			try {
				const figures = await runRow(spec, {kind: 'node', workers});
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
	const servers: Exclude<ServerKind, 'target'>[] = ['plain', ...(options.modes as ModeName[])];
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
