import {parseOptions, type Options} from '../options/options.js';
import {integer, numberFrom, UsageError} from '../options/values.js';
import {parseHostPort} from '../options/endpoints.js';
import {MODE_NAMES, type ModeName} from '../server/mode.js';

/** An outside echo server to load beside the models: `--target name=host:port`. */
export type CompareTarget = {readonly name: string; readonly host: string; readonly port: number};

export type CompareOptions = {
	readonly modes: readonly ModeName[];
	readonly targets: readonly CompareTarget[];
	/** The settings every model's server and its test clients start with (mode and port aside). */
	readonly base: Options;
	/** Seconds until the comparison ends by itself and prints its final table; null: until quit. */
	readonly durationS: number | null;
	readonly format: 'live' | 'json' | 'text' | 'markdown';
	/** Memory the rows may use, in bytes; null: half of what the kernel says is available. */
	readonly budgetBytes: number | null;
};

export const COMPARE_DEFAULT_CLIENTS = 10;
export const MAX_TARGETS = 8;
const MAX_DURATION_S = 86_400;
const MAX_BUDGET_MB = 16 * 2 ** 20;

/** The flags as the command line hands them over (camelCase, strings), checked here. */
export type CompareFlags = {
	readonly modes?: string;
	readonly target?: string;
	readonly clients?: string;
	readonly rate?: string;
	readonly workMs?: string;
	readonly delayMs?: string;
	readonly poolSize?: string;
	readonly backlog?: string;
	readonly budgetMb?: string;
	readonly duration?: string;
	readonly json?: boolean;
	readonly markdown?: boolean;
	readonly color?: boolean;
};

/** `compare`'s flags, each checked here: a mistake is one line naming the flag and what it takes. */
export function parseCompareOptions(flags: CompareFlags, isTTY: boolean): CompareOptions {
	if (flags.json && flags.markdown) throw new UsageError('choose --json or --markdown, not both');
	const durationS =
		flags.duration === undefined
			? null
			: numberFrom('duration', flags.duration, 0, 1, MAX_DURATION_S);
	if (flags.markdown && durationS === null) {
		throw new UsageError('--markdown prints the final table: give --duration S too');
	}
	const base = parseOptions({
		clients: flags.clients ?? String(COMPARE_DEFAULT_CLIENTS),
		rate: flags.rate,
		workMs: flags.workMs,
		delayMs: flags.delayMs,
		poolSize: flags.poolSize,
		backlog: flags.backlog,
		color: flags.color,
	});
	const targets = flags.target === undefined ? [] : flags.target.split(',').map(parseTarget);
	checkNames(targets);
	const budgetMb =
		flags.budgetMb === undefined ? null : integer('budget-mb', flags.budgetMb, 0, 1, MAX_BUDGET_MB);
	const format = flags.json
		? 'json'
		: flags.markdown
			? 'markdown'
			: isTTY
				? 'live'
				: durationS === null
					? 'json'
					: 'text';
	return {
		modes: modeList(flags.modes, targets.length > 0),
		targets,
		base: {...base, port: 0, placement: 'worker'},
		durationS,
		format,
		budgetBytes: budgetMb === null ? null : budgetMb * 2 ** 20,
	};
}

function modeList(value: string | undefined, haveTargets: boolean): readonly ModeName[] {
	if (value === undefined) return haveTargets ? [] : MODE_NAMES;
	const items = value.split(',').map((item) => item.trim());
	for (const item of items) {
		if (!(MODE_NAMES as readonly string[]).includes(item)) {
			throw new UsageError(
				`--modes is a comma-separated list of ${MODE_NAMES.join(', ')} (got "${item}")`,
			);
		}
	}
	return [...new Set(items as ModeName[])];
}

function parseTarget(value: string): CompareTarget {
	const match = /^([A-Za-z0-9][\w.-]{0,15})=(.+)$/.exec(value);
	if (!match) {
		throw new UsageError(
			`--target takes NAME=HOST:PORT, comma-separated; NAME is 1 to 16 letters, digits, . _ or - (got "${value}")`,
		);
	}
	return {name: match[1]!, ...parseHostPort('target', match[2]!)};
}

function checkNames(targets: readonly CompareTarget[]): void {
	if (targets.length > MAX_TARGETS) {
		throw new UsageError(`--target takes at most ${MAX_TARGETS} servers (got ${targets.length})`);
	}
	const names = new Set<string>(MODE_NAMES);
	for (const {name} of targets) {
		if (names.has(name)) {
			throw new UsageError(`--target name "${name}" is taken; choose another`);
		}
		names.add(name);
	}
}
