import meow from 'meow';
import {runDashboard} from './commands/dashboard.js';
import {fail, internalError} from './commands/fail.js';
import {REACH_COMMANDS, REACH_FLAGS, REACH_HELP, REACH_USAGE} from './commands/reach.js';
import {parseReachOptions, type ReachOptions} from './reach-options.js';
import {
	DEFAULTS,
	MAX_CLIENTS,
	MAX_POOL_SIZE,
	parseOptions,
	UsageError,
	type Options,
} from './options.js';
import {HANDLER_NAMES} from './server/handler.js';
import {MODE_NAMES, MODE_SUMMARY} from './server/mode.js';

// `concurrency-top bench …` is a program of its own (source/bench), with its own flags: it never
// starts the dashboard.
if (process.argv[2] === 'bench') {
	const {benchMain} = await import('./bench/main.js');
	process.exit(await benchMain(process.argv.slice(3)));
}

/** meow throws on some mistakes (a flag given twice): those are the user's, so one line and exit 2. */
function parseCommandLine<T>(parse: () => T): T {
	try {
		return parse();
	} catch (error: unknown) {
		fail(
			error instanceof Error
				? error.message.replace(/^The flag /, '').replace(/\.$/, '')
				: String(error),
		);
	}
}

/** Subcommands: the first word on the command line; none means the dashboard. */
const COMMANDS: Readonly<
	Record<string, (options: Options, reach: ReachOptions, args: readonly string[]) => Promise<void>>
> = {
	dashboard: runDashboard,
	...REACH_COMMANDS,
};

// meow takes `--color=maybe` as a yes: a switch given a value is a mistake, said as one.
for (const argument of process.argv.slice(2)) {
	const given = /^--((?:no-)?(?:json|color|metrics-allow-remote|control-allow-remote))=(.*)$/.exec(
		argument,
	);
	if (given) fail(`--${given[1]} is a switch and takes no value (got "${given[2]}")`);
}

const cli = parseCommandLine(() =>
	meow(
		`
	Usage
	  $ concurrency-top [options]           the live dashboard
${REACH_USAGE}
	  $ concurrency-top bench [options]     measure every model against a plain server (bench --help)

	A live dashboard of a real TCP echo server in one concurrency model at a time.
	Keys: c/C add 1/10 test clients, x/X drop, m next model, ? help, q quit.

	Options
	  --mode NAME       concurrency model (default ${DEFAULTS.mode}):
${MODE_NAMES.map((name) => `	                      ${name.padEnd(11)} ${MODE_SUMMARY[name]}`).join('\n')}
	  --port N          TCP port, 0 for any free port (default ${DEFAULTS.port})
	  --host ADDR       address to listen on (default ${DEFAULTS.host})
	  --handler NAME    ${HANDLER_NAMES.join(' or ')}: what the server sends back (default ${DEFAULTS.handler})
	  --clients N       test clients to open at start, 0 to ${MAX_CLIENTS} (default ${DEFAULTS.clients})
	  --rate N          messages per second each test client sends (default ${DEFAULTS.rate})
	  --placement WHERE in-process (the server runs in the dashboard's process) or worker
	                    (a server process the dashboard supervises) (default ${DEFAULTS.placement})
	  --pool-size N     threads of the pool model, 1 to ${MAX_POOL_SIZE} (default ${DEFAULTS.poolSize})
	  --work-ms N       CPU busy time per message in the handler, ms (default ${DEFAULTS.workMs})
	  --delay-ms N      simulated I/O wait per message, ms (default ${DEFAULTS.delayMs})
	  --max-connections N  refuse connections beyond N open ones (default: what the fd limit allows)
	  --idle-timeout S  close connections silent for S seconds (default: never)
	  --json            no dashboard: one JSON snapshot per line per second on stdout
	                    (also when stdout is not a terminal)
${REACH_HELP}
	  --no-color        monochrome (so is NO_COLOR=1 in the environment)
	  --version         print the version
	  --help            print this help

	Examples
	  $ concurrency-top
	  $ concurrency-top --mode sequential --clients 3
	  $ concurrency-top --port 0 --handler upper --clients 20 --rate 10
	  $ concurrency-top --json --clients 5 | head -3
	  $ nc 127.0.0.1 8080      (from another terminal: you are a client too)
`,
		{
			importMeta: import.meta,
			allowUnknownFlags: false,
			flags: {
				mode: {type: 'string'},
				host: {type: 'string'},
				port: {type: 'string'},
				handler: {type: 'string'},
				clients: {type: 'string'},
				rate: {type: 'string'},
				json: {type: 'boolean'},
				color: {type: 'boolean', default: true},
				placement: {type: 'string'},
				poolSize: {type: 'string'},
				workMs: {type: 'string'},
				delayMs: {type: 'string'},
				maxConnections: {type: 'string'},
				idleTimeout: {type: 'string'},
				...REACH_FLAGS,
			},
		},
	),
);

// `concurrency-top --json | head -3`: a reader that leaves is the end of the output, not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
	if (error.code !== 'EPIPE') throw error;
	process.exit(0);
});

// meow answers --version and --help only when each stands alone; with other flags they still win.
if (process.argv.includes('--version')) cli.showVersion();
if (process.argv.includes('--help')) cli.showHelp(0);

const [command, ...rest] = cli.input;
try {
	const run = COMMANDS[command ?? 'dashboard'];
	// Only `attach` takes an argument: its target.
	const allowed = command === 'attach' ? 1 : 0;
	if (run === undefined || rest.length > allowed) {
		throw new UsageError(
			`unexpected argument "${rest[allowed] ?? command}": commands are ${Object.keys(COMMANDS).join(', ')}; see --help`,
		);
	}
	await run(parseOptions(cli.flags), parseReachOptions(cli.flags), rest);
} catch (error: unknown) {
	if (error instanceof UsageError) fail(error.message);
	internalError(error);
}
