import {parseArgs} from 'node:util';
import {UsageError} from '../options.js';
import {parseHostPort} from '../reach-options.js';
import {MODE_NAMES, type ModeName} from '../server/mode.js';
import {WORKLOAD_NAMES, type WorkloadName} from './workload.js';

export const SCENARIO_NAMES = ['matrix', 'saturation', 'storm', 'memory', 'dashboard'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export type BenchOptions = {
	readonly scenario: ScenarioName;
	readonly modes: readonly ModeName[];
	readonly clients: readonly number[];
	readonly workloads: readonly WorkloadName[];
	readonly workMs: number;
	readonly delayMs: number;
	readonly size: number;
	readonly depth: number;
	readonly workers: number;
	readonly durationS: number;
	/** Runs of each row; the table shows medians. */
	readonly repeat: number;
	/** Seconds of load before each measured window (C generator). */
	readonly warmupS: number;
	/** c: bench/loadgen.c compiled with cc (Node workers when cc is missing); node: the Node workers. */
	readonly generator: 'c' | 'node';
	/** An outside server measured beside (or instead of) the models, under the same rows. */
	readonly target: {readonly host: string; readonly port: number} | null;
	readonly format: 'text' | 'json' | 'markdown';
	/** Every column, however wide the terminal. */
	readonly wide: boolean;
	/** Charts in the terminal: msgs/s against clients per server, and a latency percentile curve. */
	readonly chart: boolean;
	readonly help: boolean;
};

export const BENCH_DEFAULTS = {
	clients: [1, 10, 100, 1000],
	workMs: 1,
	delayMs: 5,
	size: 64,
	depth: 1,
	workers: 1,
	durationS: 2,
	warmupS: 1,
	repeat: 1,
} as const;

/** Per scenario, the client counts used when --clients is not given. */
const SCENARIO_CLIENTS: Readonly<Record<ScenarioName, readonly number[]>> = {
	matrix: BENCH_DEFAULTS.clients,
	saturation: [100],
	storm: [1000],
	memory: [100],
	dashboard: [10_000],
};

export const MAX_BENCH_CLIENTS = 20_000;

export const BENCH_HELP = `
  Usage
    $ concurrency-top bench [options]

  Runs each model's server (and a plain Node echo server as the baseline) under closed-loop test
  clients in separate processes, and prints the measured comparison table. Progress on stderr.

  Options
    --scenario NAME   matrix (default): every mode × clients × workload, with a ratio to plain
                      saturation: plain server, 1..4 load-generator processes (is the server the bottleneck?)
                      storm: while 100 clients keep the server busy, 1000 more connect at once (async unless
                      --modes); time until every one of them got its first reply
                      memory: RSS per idle connection for each model
                      dashboard: the real dashboard in a pty: start to first frame, CPU at 10,000 idle connections
    --modes a,b       models to run (default all: ${MODE_NAMES.join(',')}; none: only --target)
    --clients a,b     concurrent clients per row (default ${BENCH_DEFAULTS.clients.join(',')})
    --workloads a,b   ${WORKLOAD_NAMES.join(', ')}: work per message (default all)
    --work-ms N       CPU busy time per message for the cpu workload (default ${BENCH_DEFAULTS.workMs})
    --delay-ms N      wait per message for the io workload (default ${BENCH_DEFAULTS.delayMs})
    --size N          message bytes, newline included (default ${BENCH_DEFAULTS.size})
    --depth N         messages in flight per client, pipelining (default ${BENCH_DEFAULTS.depth})
    --generator c|node  c (default): bench/loadgen.c, built with cc at start (the Node workers if cc is
                      missing); all connections open, then all send at once and keep echoing. node: the
                      dashboard's own test clients in --workers Node processes
    --workers N       load processes (default ${BENCH_DEFAULTS.workers}; the C generator adds one per saturated row, up to one per core)
    --target HOST:PORT  also measure an outside echo server, in the same rows (only it with --modes none)
    --duration S      measured seconds per row (default ${BENCH_DEFAULTS.durationS})
    --warmup S        seconds of load before each measured window, C generator (default ${BENCH_DEFAULTS.warmupS})
    --repeat N        runs of each row, interleaved; the table shows medians (default ${BENCH_DEFAULTS.repeat})
    --json            one JSON document on stdout
    --markdown        a Markdown table on stdout
    --wide            every column, however wide the terminal (the text table fits it otherwise)
    --chart           draw msgs/s against clients per server and a latency percentile curve
    --help            print this help

  Examples
    $ concurrency-top bench --modes async,sequential --clients 4 --duration 1 --json
    $ concurrency-top bench --scenario storm --modes async
    $ concurrency-top bench --scenario saturation --depth 8
    $ concurrency-top bench --modes none --target 127.0.0.1:7000 --clients 10,100 --chart
`;

export function parseBenchOptions(args: readonly string[]): BenchOptions {
	let values: Record<string, string | boolean | undefined>;
	try {
		({values} = parseArgs({
			args: [...args],
			strict: true,
			allowPositionals: false,
			options: {
				scenario: {type: 'string'},
				modes: {type: 'string'},
				clients: {type: 'string'},
				workloads: {type: 'string'},
				'work-ms': {type: 'string'},
				'delay-ms': {type: 'string'},
				size: {type: 'string'},
				depth: {type: 'string'},
				workers: {type: 'string'},
				duration: {type: 'string'},
				repeat: {type: 'string'},
				warmup: {type: 'string'},
				generator: {type: 'string'},
				target: {type: 'string'},
				json: {type: 'boolean'},
				markdown: {type: 'boolean'},
				wide: {type: 'boolean'},
				chart: {type: 'boolean'},
				help: {type: 'boolean'},
			},
		}));
	} catch (error: unknown) {
		const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
		throw new UsageError(`bench: ${message.replace(/\. To specify a positional.*$/, '')}`);
	}
	const string = (name: string) => values[name] as string | undefined;
	if (values.json && values.markdown)
		throw new UsageError('bench: choose --json or --markdown, not both');
	const scenario = oneOf('scenario', string('scenario') ?? 'matrix', SCENARIO_NAMES);
	const target = string('target');
	if (string('modes') === 'none' && target === undefined)
		throw new UsageError('bench: --modes none measures only --target HOST:PORT; give one');
	return {
		scenario,
		modes:
			string('modes') === 'none'
				? []
				: (list('modes', string('modes'), MODE_NAMES) ??
					(scenario === 'storm' ? (['async'] as const) : MODE_NAMES)),
		clients:
			numberList('clients', string('clients'), 1, MAX_BENCH_CLIENTS) ?? SCENARIO_CLIENTS[scenario],
		workloads:
			list('workloads', string('workloads'), WORKLOAD_NAMES) ??
			(scenario === 'storm' ? (['echo'] as const) : WORKLOAD_NAMES),
		workMs: number('work-ms', string('work-ms'), BENCH_DEFAULTS.workMs, 0, 1000),
		delayMs: number('delay-ms', string('delay-ms'), BENCH_DEFAULTS.delayMs, 0, 10_000),
		size: whole('size', string('size'), BENCH_DEFAULTS.size, 1, 1_048_576),
		depth: whole('depth', string('depth'), BENCH_DEFAULTS.depth, 1, 1000),
		workers: whole('workers', string('workers'), BENCH_DEFAULTS.workers, 1, 16),
		durationS: number('duration', string('duration'), BENCH_DEFAULTS.durationS, 0.1, 600),
		repeat: whole('repeat', string('repeat'), BENCH_DEFAULTS.repeat, 1, 20),
		warmupS: number('warmup', string('warmup'), BENCH_DEFAULTS.warmupS, 0, 60),
		generator: oneOf('generator', string('generator') ?? 'c', ['c', 'node'] as const),
		target: target === undefined ? null : benchTarget(target),
		format: values.json ? 'json' : values.markdown ? 'markdown' : 'text',
		wide: values.wide === true,
		chart: values.chart === true,
		help: values.help === true,
	};
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
	if ((allowed as readonly string[]).includes(value)) return value as T;
	throw new UsageError(`bench: --${flag} must be one of ${allowed.join(', ')} (got "${value}")`);
}

function list<T extends string>(
	flag: string,
	value: string | undefined,
	allowed: readonly T[],
): T[] | undefined {
	if (value === undefined) return undefined;
	const items = value.split(',').map((item) => item.trim());
	if (items.some((item) => item === ''))
		throw new UsageError(`bench: --${flag} is a comma-separated list (got "${value}")`);
	return [...new Set(items.map((item) => oneOf(flag, item, allowed)))];
}

function numberList(
	flag: string,
	value: string | undefined,
	min: number,
	max: number,
): number[] | undefined {
	if (value === undefined) return undefined;
	return [...new Set(value.split(',').map((item) => whole(flag, item, 0, min, max)))];
}

function whole(
	flag: string,
	value: string | undefined,
	fallback: number,
	min: number,
	max: number,
) {
	if (value === undefined) return fallback;
	const parsed = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
	if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max)
		throw new UsageError(
			`bench: --${flag} takes whole numbers from ${min} to ${max} (got "${value}")`,
		);
	return parsed;
}

function number(
	flag: string,
	value: string | undefined,
	fallback: number,
	min: number,
	max: number,
) {
	if (value === undefined) return fallback;
	const parsed = /^\d*\.?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
	if (!(parsed >= min && parsed <= max))
		throw new UsageError(
			`bench: --${flag} must be a number from ${min} to ${max} (got "${value}")`,
		);
	return parsed;
}

function benchTarget(value: string): {host: string; port: number} {
	try {
		return parseHostPort('target', value);
	} catch (error: unknown) {
		throw new UsageError(`bench: ${(error as Error).message}`);
	}
}
