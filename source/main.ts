import {parseCommandLine} from './options/command-line.js';
import {fail, internalError} from './commands/fail.js';
import {COMMANDS, DASHBOARD} from './commands/registry.js';
import {UsageError} from './options/options.js';
import {NoTerminalError} from './terminal/keyboard.js';

// `concurrency-top --json | head -3`: a reader that leaves is the end of the output, not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
	if (error.code !== 'EPIPE') throw error;
	process.exit(0);
});

const argv = process.argv.slice(2);
const named = COMMANDS.find((command) => command.name === argv[0]);
const command = named ?? DASHBOARD;
const args = named ? argv.slice(1) : argv;

try {
	// meow parses it, against the command's declared flags; --help and --version print and exit.
	const line = parseCommandLine(command, args, named ? [] : COMMANDS);
	const status = await command.run(line);
	if (typeof status === 'number') process.exitCode = status;
} catch (error: unknown) {
	if (error instanceof UsageError || error instanceof NoTerminalError) fail(error.message);
	internalError(error);
}
