/**
 * The one argument parser of every subcommand: flags are declared (name, value, help), the command
 * line is checked against the command's own list, and each command's --help is written from the same
 * declarations, so a flag cannot be accepted without being documented or documented without being
 * accepted. Values stay strings: each is checked by the validators in source/options/options.ts.
 */
import {UsageError} from './values.js';

export type FlagSpec = {
	/** As typed, without the dashes: `pool-size`. */
	readonly name: string;
	/** A switch, or a flag that takes one value. */
	readonly type: 'boolean' | 'string';
	/** What the value looks like in --help (`N`, `HOST:PORT`). */
	readonly value?: string;
	/** For --help: the first line after the flag, further lines indented under it. */
	readonly help: string;
	/** A switch that also has a `--no-` form (`--no-color`); --help shows that form. */
	readonly negatable?: boolean;
};

/** The parsed values, keyed by camelCase name (`poolSize`): strings, or booleans for switches. */
export type FlagValues = Readonly<Record<string, string | boolean | undefined>>;

export type CommandLine = {
	readonly values: FlagValues;
	readonly positionals: readonly string[];
	/** The arguments after the command's name, as given. */
	readonly args: readonly string[];
};

export type CommandSpec = {
	/** The first word on the command line; `dashboard` runs with no word at all. */
	readonly name: string;
	/** What follows the name in the usage line, `[target] [options]`. */
	readonly usage: string;
	/** One line for the list of commands. */
	readonly summary: string;
	/** A paragraph under the usage line of the command's own --help. */
	readonly description: string;
	readonly flags: readonly FlagSpec[];
	/** The most positional arguments it takes (0 unless said). */
	readonly maxPositionals?: number;
	readonly examples: readonly string[];
	/** Loads the command (lazily: only the one that runs is ever loaded) and runs it. */
	readonly run: (line: CommandLine) => Promise<number | void>;
};

export const PROGRAM = 'concurrency-top';

/** Flags every command answers to, before any other check. */
export const HELP_FLAGS = ['-h', '--help'] as const;
export const VERSION_FLAGS = ['-v', '--version'] as const;

/** `pool-size` → `poolSize`: how parsed values are keyed. */
export function camel(name: string): string {
	return name.replaceAll(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** Checks `args` against the command's flags; a mistake is a UsageError of one line. */
export function parseCommandLine(
	command: Pick<CommandSpec, 'name' | 'flags' | 'maxPositionals'>,
	args: readonly string[],
): CommandLine {
	const values: Record<string, string | boolean> = {};
	const positionals: string[] = [];
	const seen = new Set<string>();
	for (let index = 0; index < args.length; index++) {
		const argument = args[index]!;
		if (argument === '--') {
			positionals.push(...args.slice(index + 1));
			break;
		}
		if (!argument.startsWith('-') || argument === '-') {
			positionals.push(argument);
			continue;
		}
		const [, raw = '', inline] = /^--?([^=]*)(?:=(.*))?$/s.exec(argument) ?? [];
		const negated =
			raw.startsWith('no-') && command.flags.some((flag) => flag.name === raw.slice(3));
		const flag = command.flags.find(
			(candidate) => candidate.name === (negated ? raw.slice(3) : raw),
		);
		if (flag === undefined || (negated && !flag.negatable) || !argument.startsWith('--')) {
			throw new UsageError(unknownFlag(command, argument.replace(/=.*$/s, '')));
		}
		if (seen.has(flag.name)) throw new UsageError(`--${flag.name} can only be set once`);
		seen.add(flag.name);
		if (flag.type === 'boolean') {
			if (inline !== undefined) {
				throw new UsageError(`--${raw} is a switch and takes no value (got "${inline}")`);
			}
			values[camel(flag.name)] = !negated;
			continue;
		}
		const value = inline ?? args[index + 1];
		if (value === undefined || (inline === undefined && /^--[a-z]/.test(value))) {
			throw new UsageError(
				`--${flag.name} needs a value (--${flag.name} ${flag.value ?? 'VALUE'})`,
			);
		}
		if (inline === undefined) index++;
		values[camel(flag.name)] = value;
	}
	const allowed = command.maxPositionals ?? 0;
	if (positionals.length > allowed) {
		throw new UsageError(
			`unexpected argument "${positionals[allowed]}"${command.name === 'dashboard' ? '' : ` to ${command.name}`}; see ${helpCommand(command)}`,
		);
	}
	return {values, positionals, args};
}

function helpCommand(command: Pick<CommandSpec, 'name'>): string {
	return `${PROGRAM}${command.name === 'dashboard' ? '' : ` ${command.name}`} --help`;
}

function unknownFlag(command: Pick<CommandSpec, 'name'>, given: string): string {
	const where = command.name === 'dashboard' ? '' : ` of ${command.name}`;
	return `${given} is not a flag${where}; see ${helpCommand(command)}`;
}

const FLAG_COLUMN = 22;

/** The Options block of a --help: each flag and its value, its help aligned beside it. */
export function formatFlags(flags: readonly FlagSpec[]): string {
	return flags
		.map((flag) => {
			const name = `--${flag.negatable ? `no-${flag.name}` : flag.name}${flag.value ? ` ${flag.value}` : ''}`;
			const [first = '', ...more] = flag.help.split('\n');
			const head =
				name.length < FLAG_COLUMN - 1
					? `  ${name.padEnd(FLAG_COLUMN)}${first}`
					: `  ${name}\n  ${' '.repeat(FLAG_COLUMN)}${first}`;
			return [head, ...more.map((line) => `  ${' '.repeat(FLAG_COLUMN)}${line}`)].join('\n');
		})
		.join('\n');
}

/** What --help wraps to: the terminal's width, or 80 columns when stdout is not a terminal. */
export function helpWidth(stdout: {isTTY?: boolean; columns?: number} = process.stdout): number {
	return stdout.isTTY && stdout.columns ? stdout.columns : 80;
}

/**
 * One line of --help cut at spaces to `width`, never inside a word: continuation lines hang under
 * the text beside a term (`--port N   the port…`, `pool  a fixed pool…`), or under the line's own
 * indent. A word longer than the room stays whole.
 */
export function wrapLine(line: string, width: number): string[] {
	if (line.length <= width) return [line];
	const indent = /^ */.exec(line)![0].length;
	const beside = /^ *\S+(?: \S+)*? {2,}(?=\S)/.exec(line)?.[0].length;
	const hang = beside !== undefined && beside <= width - 24 ? beside : indent;
	const lines: string[] = [];
	let rest = line;
	while (rest.length > width) {
		let cut = rest.lastIndexOf(' ', width);
		if (cut <= hang) cut = rest.indexOf(' ', width);
		if (cut <= hang) break;
		lines.push(rest.slice(0, cut).trimEnd());
		rest = ' '.repeat(hang) + rest.slice(cut + 1).trimStart();
	}
	return [...lines, rest];
}

const usageOf = (command: CommandSpec) =>
	`${command.name === 'dashboard' ? PROGRAM : `${PROGRAM} ${command.name}`} ${command.usage}`;

/**
 * A command's own --help: usage, what it does, its flags, examples. The dashboard's also lists the
 * other commands (`others`), one line each.
 */
export function formatHelp(
	command: CommandSpec,
	others: readonly CommandSpec[] = [],
	width = 80,
): string {
	// A summary goes beside its usage when at least 24 columns are left for it, else under it.
	const besides = [command, ...others]
		.map((each) => usageOf(each).length)
		.filter((length) => 4 + length + 2 + 24 <= width);
	const column = Math.max(0, ...besides) + 2;
	const usage =
		others.length === 0
			? [`  $ ${usageOf(command)}`]
			: [command, ...others].flatMap((each) =>
					usageOf(each).length + 2 <= column
						? [`  $ ${usageOf(each).padEnd(column)}${each.summary}`]
						: [`  $ ${usageOf(each)}`, `      ${each.summary}`],
				);
	const lines = [
		'Usage',
		...usage,
		'',
		...command.description.split('\n').map((line) => `  ${line}`.trimEnd()),
		'',
		'Options',
		formatFlags(command.flags),
		`  ${'-h, --help'.padEnd(FLAG_COLUMN)}print this help`,
		`  ${'-v, --version'.padEnd(FLAG_COLUMN)}print the version`,
		'',
		'Examples',
		...command.examples.map((example) => `  $ ${example}`),
		...(others.length === 0
			? []
			: ['', `  ${PROGRAM} <command> --help prints a command's own flags.`]),
		'',
	];
	return lines
		.join('\n')
		.split('\n')
		.flatMap((line) => wrapLine(line, width))
		.join('\n');
}
