import {
	integer,
	list,
	numberFrom,
	numberList,
	oneOf,
	positiveNumber,
	UsageError,
} from '../options/values.js';
import {MAX_RATE, parseMessageTimeoutMs} from '../options/options.js';
import {parseHostPort} from '../options/endpoints.js';
import {MODE_NAMES, type ModeName} from '../server/mode.js';
import {DEFAULT_SETTINGS, MAX_DELAY_MS, MAX_POOL_SIZE, MAX_WORK_MS} from '../server/settings.js';
import {poolSizeRefusal} from '../server/pool-budget.js';
import {WORKLOAD_NAMES, type WorkloadName} from './workload.js';
import {TUTORIAL_MODELS, type TutorialModel} from './processes.js';
import {GENERATOR_NAMES, SCENARIO_NAMES} from './names.js';

export {SCENARIO_NAMES};
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export type BenchOptions = {
	readonly scenario: ScenarioName;
	readonly modes: readonly ModeName[];
	readonly clients: readonly number[];
	readonly workloads: readonly WorkloadName[];
	readonly workMs: number;
	readonly delayMs: number;
	/** Threads of the pool model (hybrid sizes its own). */
	readonly poolSize: number;
	readonly size: number;
	readonly depth: number;
	/**
	 * `--fixed-rate --rate N`: each client's messages due N a second, each round trip timed from when
	 * its message was due; null: the closed loop (the next message when a reply is back).
	 */
	readonly ratePerSec: number | null;
	/** `--timeout-ms`: a message without its reply this long counts in `errors.messageTimeouts`. */
	readonly messageTimeoutMs: number;
	readonly workers: number;
	readonly durationS: number;
	/** Runs of each row; the table shows medians. */
	readonly repeat: number;
	/** Seconds of load before each measured window (C generator). */
	readonly warmupS: number;
	/** c: bench/loadgen.c compiled with cc (Node workers when cc is missing); node: the Node workers. */
	readonly generator: 'c' | 'node';
	/** The tutorial's Python servers (examples/python) of these models, run in the same rounds. */
	readonly tutorial: readonly TutorialModel[];
	/** An outside server measured beside (or instead of) the models, under the same rows. */
	readonly target: {readonly host: string; readonly port: number} | null;
	readonly format: 'text' | 'json' | 'markdown';
	/** Every column, however wide the terminal. */
	readonly wide: boolean;
	/** Charts in the terminal: msgs/s against clients per server, and a latency percentile curve. */
	readonly chart: boolean;
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

/** The flags as meow hands them over (BENCH_FLAGS in source/commands/flags.ts). */
export type BenchFlags = Readonly<Record<string, string | boolean | undefined>>;

/**
 * The bench's flag values, as meow (source/options/command-line.ts) checked
 * them against BENCH_FLAGS, checked by the shared validators; a mistake is one line naming the flag.
 */
export function parseBenchOptions(values: BenchFlags): BenchOptions {
	const string = (name: string) =>
		values[name.replaceAll(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())] as
			string | undefined;
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
		// The server's own rules (source/server/settings.ts): the same flag means the same everywhere.
		workMs: integer('work-ms', string('work-ms'), BENCH_DEFAULTS.workMs, 0, MAX_WORK_MS),
		delayMs: integer('delay-ms', string('delay-ms'), BENCH_DEFAULTS.delayMs, 0, MAX_DELAY_MS),
		poolSize: withinPoolBudget(
			integer('pool-size', string('pool-size'), DEFAULT_SETTINGS.poolSize, 1, MAX_POOL_SIZE),
		),
		size: integer('size', string('size'), BENCH_DEFAULTS.size, 1, 1_048_576),
		depth: integer('depth', string('depth'), BENCH_DEFAULTS.depth, 1, 1000),
		ratePerSec: fixedRate(scenario, values.fixedRate === true, string('rate')),
		messageTimeoutMs: parseMessageTimeoutMs(string('timeout-ms')),
		workers: integer('workers', string('workers'), BENCH_DEFAULTS.workers, 1, 16),
		durationS: numberFrom('duration', string('duration'), BENCH_DEFAULTS.durationS, 0.1, 600),
		repeat: integer('repeat', string('repeat'), BENCH_DEFAULTS.repeat, 1, 20),
		warmupS: numberFrom('warmup', string('warmup'), BENCH_DEFAULTS.warmupS, 0, 60),
		generator: oneOf('generator', string('generator') ?? 'c', GENERATOR_NAMES),
		target: target === undefined ? null : parseHostPort('target', target),
		tutorial: tutorialModels(string('tutorial')),
		format: values.json ? 'json' : values.markdown ? 'markdown' : 'text',
		wide: values.wide === true,
		chart: values.chart === true,
	};
}

/** `--fixed-rate --rate N`: the rate, checked; null for the closed loop. */
function fixedRate(
	scenario: ScenarioName,
	fixed: boolean,
	rate: string | undefined,
): number | null {
	if (!fixed && rate === undefined) return null;
	if (!fixed)
		throw new UsageError(
			'bench: --rate N is for --fixed-rate; the closed loop sends each message when the reply before it is back',
		);
	if (rate === undefined)
		throw new UsageError(
			'bench: --fixed-rate needs --rate N, the messages a second of each client',
		);
	if (scenario !== 'matrix')
		throw new UsageError(`bench: --fixed-rate is for the matrix scenario, not ${scenario}`);
	return positiveNumber('rate', rate, 0, MAX_RATE);
}

/** `--tutorial all` or a list of models that have a tutorial server; none by default. */
function tutorialModels(value: string | undefined): readonly TutorialModel[] {
	if (value === undefined || value === 'none') return [];
	if (value === 'all') return TUTORIAL_MODELS;
	return list('tutorial', value, TUTORIAL_MODELS) ?? [];
}

/** The pool obeys the worker budget of a thread per client, as the dashboard's --pool-size does. */
function withinPoolBudget(size: number): number {
	const overBudget = poolSizeRefusal(size, null);
	if (overBudget) throw new UsageError(`--pool-size ${size}: ${overBudget}`);
	return size;
}
