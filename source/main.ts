import {
	formatHelp,
	helpWidth,
	HELP_FLAGS,
	parseCommandLine,
	PROGRAM,
	VERSION_FLAGS,
} from './options/command-line.js';
import {fail, internalError} from './commands/fail.js';
import {COMMANDS, DASHBOARD} from './commands/registry.js';
import {UsageError} from './options/values.js';
import {NoTerminalError} from './terminal/keyboard.js';
import {VERSION} from './shared/version.js';

// `concurrency-top --json | head -3`: a reader that leaves is the end of the output, not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
	if (error.code !== 'EPIPE') throw error;
	process.exit(0);
});

const argv = process.argv.slice(2);
const named = COMMANDS.find((command) => command.name === argv[0]);
const command = named ?? DASHBOARD;
const args = named ? argv.slice(1) : argv;
// --version and --help win over every other flag, right or wrong, as everywhere.
const flags = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
const has = (wanted: readonly string[]) => flags.some((argument) => wanted.includes(argument));

try {
	if (has(VERSION_FLAGS)) {
		process.stdout.write(`${VERSION}\n`);
		process.exit(0);
	}
	if (has(HELP_FLAGS)) {
		process.stdout.write(formatHelp(command, named ? [] : COMMANDS, helpWidth()));
		process.exit(0);
	}
	if (!named && argv[0] !== undefined && !argv[0].startsWith('-')) {
		throw new UsageError(
			`unknown command "${argv[0]}": commands are ${COMMANDS.map((each) => each.name).join(', ')}; see ${PROGRAM} --help`,
		);
	}
	const status = await command.run(parseCommandLine(command, args));
	if (typeof status === 'number') process.exitCode = status;
} catch (error: unknown) {
	if (error instanceof UsageError || error instanceof NoTerminalError) fail(error.message);
	internalError(error);
}
