/**
 * The man page and the shell completions, written from the same declarations as --help (the
 * registry's commands and their flags), so a flag added there is completed and documented here too.
 */
import {type CommandSpec, type FlagSpec, PROGRAM} from '../options/command-line.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** Every form a flag is typed in: `--color` and `--no-color` for a negatable switch. */
const flagWords = (flags: readonly FlagSpec[]) =>
	[
		...flags.flatMap((flag) => [
			`--${flag.name}`,
			...(flag.negatable ? [`--no-${flag.name}`] : []),
		]),
		'--help',
		'--version',
	].join(' ');

const firstLine = (text: string) => text.split('\n')[0]!;

/** A completion script for `shell`: the command names first, then the flags of the command typed. */
export function completionScript(
	shell: Shell,
	dashboard: CommandSpec,
	commands: readonly CommandSpec[],
): string {
	const names = commands.map((command) => command.name).join(' ');
	if (shell === 'bash') {
		const cases = commands
			.map((command) => `\t\t${command.name}) words="${flagWords(command.flags)}" ;;`)
			.join('\n');
		return `# bash completion for ${PROGRAM}: source <(${PROGRAM} completion bash)
_concurrency_top() {
	local cur=\${COMP_WORDS[COMP_CWORD]} words
	case "\${COMP_WORDS[1]}" in
${cases}
		*) words="${names} ${flagWords(dashboard.flags)}" ;;
	esac
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _concurrency_top ${PROGRAM}
`;
	}
	if (shell === 'zsh') {
		const cases = commands
			.map((command) => `\t\t${command.name}) candidates=(${flagWords(command.flags)}) ;;`)
			.join('\n');
		return `#compdef ${PROGRAM}
# zsh completion for ${PROGRAM}: source <(${PROGRAM} completion zsh)
_concurrency_top() {
	local -a candidates
	case "\${words[2]}" in
${cases}
		*) candidates=(${names} ${flagWords(dashboard.flags)}) ;;
	esac
	compadd -- $candidates
}
compdef _concurrency_top ${PROGRAM}
`;
	}
	const quote = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
	const fishFlags = (flags: readonly FlagSpec[], condition: string) =>
		flags.map(
			(flag) =>
				`complete -c ${PROGRAM} -n ${quote(condition)} -l ${flag.name}${flag.type === 'string' ? ' -r' : ''} -d ${quote(firstLine(flag.help))}` +
				(flag.negatable
					? `\ncomplete -c ${PROGRAM} -n ${quote(condition)} -l no-${flag.name} -d ${quote(firstLine(flag.help))}`
					: ''),
		);
	return [
		`# fish completion for ${PROGRAM}: ${PROGRAM} completion fish | source`,
		`complete -c ${PROGRAM} -f`,
		...commands.map(
			(command) =>
				`complete -c ${PROGRAM} -n __fish_use_subcommand -a ${command.name} -d ${quote(command.summary)}`,
		),
		...fishFlags(dashboard.flags, '__fish_use_subcommand'),
		...commands.flatMap((command) =>
			fishFlags(command.flags, `__fish_seen_subcommand_from ${command.name}`),
		),
		'',
	].join('\n');
}

/** Text for roff: backslashes and dashes escaped, no line taken for a request. */
const roff = (text: string) =>
	text
		.replaceAll('\\', '\\e')
		.replaceAll('-', '\\-')
		.split('\n')
		.map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
		.join('\n');

function roffFlags(flags: readonly FlagSpec[]): string[] {
	return flags.flatMap((flag) => [
		'.TP',
		`.B ${roff(`--${flag.negatable ? `no-${flag.name}` : flag.name}`)}${flag.value ? ` ${roff(flag.value)}` : ''}`,
		...flag.help
			.split('\n')
			.map((line, index) => (index === 0 ? roff(line) : `.br\n${roff(line.trim())}`)),
	]);
}

/** `concurrency-top.1`: name, synopsis, the dashboard's flags, each command with its own, examples. */
export function manPage(
	dashboard: CommandSpec,
	commands: readonly CommandSpec[],
	version: string,
	description: string,
): string {
	const usage = (command: CommandSpec) =>
		`.B ${PROGRAM}${command === dashboard ? '' : ` ${command.name}`}\n${roff(command.usage)}`;
	return [
		`.TH CONCURRENCY\\-TOP 1 "" "${PROGRAM} ${version}" "User Commands"`,
		'.SH NAME',
		`${PROGRAM} \\- ${roff(description)}`,
		'.SH SYNOPSIS',
		[dashboard, ...commands].map(usage).join('\n.br\n'),
		'.SH DESCRIPTION',
		roff(dashboard.description),
		'.SH OPTIONS',
		...roffFlags(dashboard.flags),
		'.TP',
		'.B \\-h, \\-\\-help',
		'print the help',
		'.TP',
		'.B \\-v, \\-\\-version',
		'print the version',
		'.SH COMMANDS',
		...commands.flatMap((command) => [
			`.SS ${command.name}`,
			usage(command),
			'.PP',
			roff(command.description),
			...roffFlags(command.flags),
		]),
		'.SH EXAMPLES',
		...[dashboard, ...commands].flatMap((command) =>
			command.examples.flatMap((example) => ['.nf', roff(`$ ${example}`), '.fi']),
		),
		'',
	].join('\n');
}
