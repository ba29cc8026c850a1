import meow from 'meow';
import {runDashboard} from './commands/dashboard.js';
import {fail, internalError} from './commands/fail.js';
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

/** Subcommands: the first word on the command line; none means the dashboard. */
const COMMANDS: Readonly<Record<string, (options: Options) => Promise<void>>> = {
	dashboard: runDashboard,
};

const cli = meow(
	`
	Usage
	  $ concurrency-top [options]           the live dashboard

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
		},
	},
);

const [command, ...rest] = cli.input;
try {
	const run = COMMANDS[command ?? 'dashboard'];
	if (run === undefined || rest.length > 0) {
		throw new UsageError(
			`unexpected argument "${rest[0] ?? command}": commands are ${Object.keys(COMMANDS).join(', ')}; see --help`,
		);
	}
	await run(parseOptions(cli.flags));
} catch (error: unknown) {
	if (error instanceof UsageError) fail(error.message);
	internalError(error);
}
