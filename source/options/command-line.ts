/**
 * Every subcommand's command line, parsed by meow from the flags it declares (name, value, help):
 * the same declarations give meow its flags (types, choices, repeats) and its help text, so a flag
 * cannot be accepted without being documented or documented without being accepted. Values stay
 * strings: each is checked by the validators in source/options/options.ts. What meow reports itself
 * (an unknown flag: it prints and exits) becomes one line of ours, exit status 2.
 */
import meow, {type AnyFlag, type AnyFlags, type Options, type Result} from 'meow';
import {VERSION} from '../shared/version.js';
import {oneOf, UsageError} from './options.js';

export type FlagSpec = {
	/** As typed, without the dashes: `pool-size`. */
	readonly name: string;
	/** A switch, or a flag that takes one value. */
	readonly type: 'boolean' | 'string';
	/** What the value looks like in --help (`N`, `HOST:PORT`). */
	readonly value?: string;
	/** For --help: the first line after the flag, further lines indented under it. */
	readonly help: string;
	/** A switch that is on unless its `--no-` form is given (`--no-color`); --help shows that form. */
	readonly negatable?: boolean;
	/** The only values it takes; meow refuses others (in the words of options.ts's oneOf). */
	readonly choices?: readonly string[];
	/** It may be given more than once; its values reach the validators joined with commas. */
	readonly multiple?: boolean;
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

/** The flags as meow takes them, from the command's declarations. */
export function meowFlags(flags: readonly FlagSpec[]): AnyFlags {
	return Object.fromEntries(
		flags.map((flag): [string, AnyFlag] => [
			camel(flag.name),
			flag.type === 'boolean'
				? {type: 'boolean', default: flag.negatable === true}
				: {
						type: 'string',
						...(flag.choices ? {choices: [...flag.choices]} : {}),
						...(flag.multiple ? {isMultiple: true} : {}),
					},
		]),
	);
}

/**
 * Parses `args` with meow against the command's flags; `others` are the commands the dashboard's
 * --help lists. --help and --version win over every other flag, right or wrong (meow answers them
 * only alone): meow prints them and exits 0. A mistake is a UsageError of one line.
 */
export function parseCommandLine(
	command: CommandSpec,
	args: readonly string[],
	others: readonly CommandSpec[] = [],
): CommandLine {
	const beforeSeparator = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
	const has = (wanted: readonly string[]) =>
		beforeSeparator.some((argument) => wanted.includes(argument));
	const parse = (argv: readonly string[]) =>
		meowOnce(command, formatHelp(command, others, helpWidth()), {
			importMeta: import.meta,
			argv,
			flags: meowFlags(command.flags),
			allowUnknownFlags: false,
			pkg: {name: PROGRAM, version: VERSION},
			version: VERSION,
			description: false,
			helpIndent: 0,
		});
	// meow answers --version and --help alone (printed, exit 0): here they win over any other flag.
	if (has(VERSION_FLAGS)) parse(['--version']);
	if (has(HELP_FLAGS)) parse(['--help']);
	refuseWhatMeowTakes(command, beforeSeparator);
	const result = parse(args);
	const values: Record<string, string | boolean> = {};
	for (const flag of command.flags) {
		const value: unknown = result.flags[camel(flag.name)];
		const given = Array.isArray(value) ? (value as string[]) : [value];
		if (flag.type === 'string' && given.includes('')) throw needsValue(flag);
		if (Array.isArray(value) && value.length > 0) values[camel(flag.name)] = value.join(',');
		if (typeof value === 'string' || typeof value === 'boolean') values[camel(flag.name)] = value;
	}
	const positionals = result.input;
	const allowed = command.maxPositionals ?? 0;
	if (positionals.length > allowed) {
		const extra = positionals[allowed]!;
		throw new UsageError(
			others.length > 0 && allowed === 0 && args[0] === extra
				? `unknown command "${extra}": commands are ${others.map((each) => each.name).join(', ')}; see ${PROGRAM} --help`
				: `unexpected argument "${extra}"${command.name === 'dashboard' ? '' : ` to ${command.name}`}; see ${helpCommand(command)}`,
		);
	}
	return {values, positionals, args};
}

/** `--port` with nothing after it (or a flag after it): meow's parser reads an empty string. */
const needsValue = (flag: FlagSpec) =>
	new UsageError(`--${flag.name} needs a value (--${flag.name} ${flag.value ?? 'VALUE'})`);

/** A meow call's own exit (it prints and exits on an unknown flag), caught to be said our way. */
class MeowExit {
	constructor(readonly code: number) {}
}

/**
 * meow with its own ways of ending made ours: on an unknown flag it writes `Unknown flag` and the
 * flags to stderr and exits 2, on a flag given twice or a value not among its choices it throws;
 * each becomes a UsageError of one line. --help and --version print and exit 0, as meow does.
 */
function meowOnce(
	command: Pick<CommandSpec, 'name' | 'flags'>,
	help: string,
	options: Options<AnyFlags>,
): Result<AnyFlags> {
	const {exit} = process;
	const {error} = console;
	keepProcessName();
	const said: string[] = [];
	process.exit = ((code?: number) => {
		if (code === 0) exit(0);
		throw new MeowExit(code ?? 1);
	}) as typeof process.exit;
	console.error = (...parts: unknown[]) => void said.push(parts.join(' '));
	try {
		return meow(help, options);
	} catch (caught: unknown) {
		if (caught instanceof MeowExit) {
			const unknown = said.join('\n').split('\n')[1] ?? '';
			throw new UsageError(unknownFlag(command, unknown.replace(/=.*$/s, '')));
		}
		const message = caught instanceof Error ? (caught.message.split('\n')[0] ?? '') : '';
		const twice = /^The flag --(\S+) can only be set once/.exec(message);
		if (twice) throw new UsageError(`--${kebab(twice[1]!)} can only be set once`);
		const choice = /^Unknown values? for flag `--([^`]+)`: `([^`]*)`/.exec(message);
		const flag = command.flags.find((each) => each.name === choice?.[1]);
		if (choice && flag?.choices) {
			if (choice[2] === '') throw needsValue(flag);
			oneOf(flag.name, choice[2]!, flag.choices);
		}
		throw caught;
	} finally {
		process.exit = exit;
		console.error = error;
	}
}

/**
 * meow names the process after the package (`process.title = …`), which overwrites its command line
 * in /proc/PID/cmdline and its comm: ps would lose the arguments, and our own process figures its
 * name. Node's setter cannot be put back once replaced (putting it back sets the title), so from the
 * first parse on, process.title reads the name the process has and setting it renames nothing.
 */
function keepProcessName(): void {
	if (Object.getOwnPropertyDescriptor(process, 'title')?.get) return;
	const name = process.title;
	Object.defineProperty(process, 'title', {
		configurable: true,
		enumerable: true,
		get: () => name,
		set: () => undefined,
	});
}

/** `poolSize` → `pool-size`: meow names a flag by its key. */
const kebab = (key: string) => key.replaceAll(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/**
 * What meow (its parser, yargs-parser) takes but the declarations do not allow: a value for a
 * switch (`--json=yes` reads as false there), a `--no-` form of a flag that has none (`--no-json`,
 * `--no-port`), and a switch given twice (`--color --no-color`: meow refuses only a value twice).
 */
function refuseWhatMeowTakes(
	command: Pick<CommandSpec, 'name' | 'flags'>,
	args: readonly string[],
): void {
	const switches = new Set<string>();
	for (const argument of args) {
		const [, no = '', name = '', value] = /^--(no-)?([^=]+)(?:=(.*))?$/s.exec(argument) ?? [];
		const flag = command.flags.find((each) => each.name === name);
		if (flag === undefined) continue;
		if (no !== '' && !flag.negatable) {
			throw new UsageError(unknownFlag(command, argument.replace(/=.*$/s, '')));
		}
		if (flag.type === 'string') continue;
		if (value !== undefined) {
			throw new UsageError(`--${no}${name} is a switch and takes no value (got "${value}")`);
		}
		if (switches.has(name)) throw new UsageError(`--${name} can only be set once`);
		switches.add(name);
	}
}

function helpCommand(command: Pick<CommandSpec, 'name'>): string {
	return `${PROGRAM}${command.name === 'dashboard' ? '' : ` ${command.name}`} --help`;
}

/** `--x is not a flag of clients; its flags are --target, …; see …`: the flag and the allowed ones. */
function unknownFlag(command: Pick<CommandSpec, 'name' | 'flags'>, given: string): string {
	const where = command.name === 'dashboard' ? '' : ` of ${command.name}`;
	const allowed = [
		...command.flags.map((flag) => `--${flag.negatable ? 'no-' : ''}${flag.name}`),
		'--help',
		'--version',
	].join(', ');
	return `${given} is not a flag${where}; its flags are ${allowed}; see ${helpCommand(command)}`;
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
