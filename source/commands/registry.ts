/**
 * Every subcommand, in one list: its name, usage, flags and examples (from which its --help is
 * written), and how to run it. A command's code is imported only when it runs, so starting one never
 * loads the others. To add a command, add an entry here.
 */
import {CLIENTS_COMMAND_DEFAULT, DEFAULTS, MAX_CLIENTS, parseOptions} from '../options/options.js';
import {UsageError} from '../options/values.js';
import {parseEndpointOptions} from '../options/endpoints.js';
import {screenAddressSpaceProblem} from '../shared/address-space.js';
import {WATCH_FLAGS} from '../watch/options.js';
import {type CommandLine, type CommandSpec, PROGRAM} from '../options/command-line.js';
import {
	COLOR_FLAG,
	BENCH_FLAGS,
	COMPARE_FLAGS,
	CONTROL_FLAGS,
	FIXED_RATE_FLAG,
	INTERVAL_FLAG,
	JSON_FLAG,
	METRICS_FLAGS,
	RATE_FLAG,
	SERVER_FLAGS,
	TARGET_FLAG,
	TIMEOUT_MS_FLAG,
	TOKEN_FLAG,
} from './flags.js';

const options = (line: CommandLine) => parseOptions(line.values);
const reach = (line: CommandLine) => parseEndpointOptions(line.values);

export const DASHBOARD: CommandSpec = {
	name: 'dashboard',
	usage: '[options]',
	summary: 'the live dashboard',
	description: `A live dashboard of a real TCP echo server in one concurrency model at a time.
Keys: c/C add 1/10 test clients, x/X drop, m next model, ? help, q quit.`,
	flags: [...SERVER_FLAGS, INTERVAL_FLAG, JSON_FLAG, ...METRICS_FLAGS, COLOR_FLAG],
	examples: [
		PROGRAM,
		`${PROGRAM} --mode sequential --clients 3`,
		`${PROGRAM} --port 0 --handler upper --clients 20 --rate 10`,
		`${PROGRAM} --json --clients 5 | head -3`,
		`nc 127.0.0.1 ${DEFAULTS.port}      (from another terminal: you are a client too)`,
	],
	async run(line) {
		checkScreen();
		const {runDashboard} = await import('./dashboard.js');
		await runDashboard(options(line), reach(line));
	},
};

/** Before a command that loads the screen (Ink): one line if the address-space limit is too small. */
function checkScreen(): void {
	const problem = screenAddressSpaceProblem();
	if (problem) throw new UsageError(problem);
}

/** The subcommands, in the order of --help. */
export const COMMANDS: readonly CommandSpec[] = [
	{
		name: 'serve',
		usage: '[options]',
		summary: 'server and test clients, no screen; observers attach',
		description: `Runs the server and its test clients with no screen. Logs to stderr; JSON lines on stdout
with --json (and one on SIGUSR1). Observers attach on a private Unix socket, or on --control-port.`,
		flags: [...SERVER_FLAGS, INTERVAL_FLAG, JSON_FLAG, ...METRICS_FLAGS, ...CONTROL_FLAGS],
		examples: [
			`${PROGRAM} serve --mode pool --clients 14`,
			`${PROGRAM} serve --control-port 7070 --metrics-port 9464`,
		],
		async run(line) {
			const {runServe} = await import('./serve.js');
			await runServe(options(line), reach(line));
		},
	},
	{
		name: 'attach',
		usage: '[target] [options]',
		summary: 'the dashboard of a running serve (socket path or HOST:PORT)',
		description: `Opens the dashboard of a running serve, keys included; q detaches and leaves it running.
The target is a socket path, HOST:PORT, or nothing (the only serve running).`,
		flags: [TOKEN_FLAG, JSON_FLAG, COLOR_FLAG],
		maxPositionals: 1,
		examples: [`${PROGRAM} attach`, `${PROGRAM} attach 127.0.0.1:7070`],
		async run(line) {
			checkScreen();
			const {runAttach} = await import('./attach.js');
			await runAttach(options(line), reach(line), line.positionals);
		},
	},
	{
		name: 'clients',
		usage: '--target HOST:PORT [options]',
		summary: 'only the test clients, against any TCP echo server',
		description: `Runs only the test clients against any TCP echo server, with a small live panel
(or JSON lines with --json): connections, messages/s, round trips.`,
		flags: [
			TARGET_FLAG,
			{
				name: 'clients',
				type: 'string',
				value: 'N',
				help: `test clients to open, 0 to ${MAX_CLIENTS} (default ${CLIENTS_COMMAND_DEFAULT})`,
			},
			RATE_FLAG,
			{
				name: 'duration',
				type: 'string',
				value: 'S',
				help: 'run S seconds (after --warmup), then print a summary and end',
			},
			{
				name: 'warmup',
				type: 'string',
				value: 'S',
				help: 'seconds of load before the measured --duration (default 0)',
			},
			FIXED_RATE_FLAG,
			TIMEOUT_MS_FLAG,
			JSON_FLAG,
			COLOR_FLAG,
		],
		examples: [
			`${PROGRAM} clients --target 127.0.0.1:8080 --clients 50 --rate 5`,
			`${PROGRAM} clients --target 127.0.0.1:8080 --clients 100 --rate 1000 --warmup 2 --duration 10`,
			`${PROGRAM} clients --target 10.0.0.5:8080 --json | head -3`,
		],
		async run(line) {
			checkScreen();
			const {parseRunLength, runClients} = await import('./clients.js');
			await runClients(options(line), reach(line), parseRunLength(line.values));
		},
	},
	{
		name: 'watch',
		usage: '--pid N | --port N | [options] -- COMMAND [ARGS…]',
		summary: 'the same panels for a server we did not start, in any language (Linux)',
		description: `The dashboard's panels for any TCP server, from what the kernel knows: its processes and
threads (/proc), its listeners and connections (sock_diag, through ss). With -- COMMAND it starts
the server, watches it, and ends it on quit. Keys: c/C add 1/10 test clients, x/X drop, ? help.`,
		flags: [...WATCH_FLAGS, RATE_FLAG, INTERVAL_FLAG, JSON_FLAG, ...METRICS_FLAGS, COLOR_FLAG],
		maxPositionals: Number.MAX_SAFE_INTEGER,
		examples: [
			`${PROGRAM} watch -- python3 examples/python/pool_server.py --port 0`,
			`${PROGRAM} watch --port 8080 --clients 14`,
			`${PROGRAM} watch --pid 4242 --json | head -3`,
		],
		async run(line) {
			checkScreen();
			const {watchMain} = await import('./watch.js');
			return watchMain(line);
		},
	},
	{
		name: 'compare',
		usage: '[options]',
		summary: 'every model side by side under the same load, live',
		description: `Every model as its own server process on its own port, the same test load on each (a
test-client process per row), one row per server updated every second, the tutorial's opinion beside.
Keys act on every row: c/C add 1/10 clients, x/X drop one/all, w/W CPU work, d/D I/O wait,
r a storm of 500 clients; arrows pick a row, Enter opens its dashboard, Esc returns, q quits.`,
		flags: COMPARE_FLAGS,
		examples: [
			`${PROGRAM} compare`,
			`${PROGRAM} compare --modes async,thread,pool,process --clients 50 --work-ms 2`,
			`${PROGRAM} compare --modes async,pool --target py-pool=127.0.0.1:9001`,
			`${PROGRAM} compare --modes async,thread,pool --clients 14 --duration 10 --markdown`,
		],
		async run(line) {
			checkScreen();
			const {runCompare} = await import('./compare.js');
			return runCompare(line.values, line.args);
		},
	},
	{
		name: 'bench',
		usage: '[options]',
		summary: 'measure every model against a plain server',
		description: `Runs each model's server (and a plain Node echo server as the baseline) under test clients in
separate processes, in a closed loop or at a --fixed-rate, and prints the measured comparison table.
Progress on stderr.`,
		flags: BENCH_FLAGS,
		examples: [
			`${PROGRAM} bench --modes async,sequential --clients 4 --duration 1 --json`,
			`${PROGRAM} bench --modes async,thread --clients 100 --fixed-rate --rate 50 --chart`,
			`${PROGRAM} bench --scenario storm --modes async`,
			`${PROGRAM} bench --scenario saturation --depth 8`,
			`${PROGRAM} bench --modes none --target 127.0.0.1:7000 --clients 10,100 --chart`,
		],
		async run(line) {
			const {benchMain} = await import('../bench/main.js');
			return benchMain(line.values, line.args);
		},
	},
	{
		name: 'completion',
		usage: 'bash|zsh|fish',
		summary: 'print a shell completion script',
		description: `Prints a completion script for the shell, written from the same declarations as the help:
bash: source <(concurrency-top completion bash); zsh: the same with zsh; fish: pipe it to source.`,
		flags: [],
		maxPositionals: 1,
		examples: [
			`source <(${PROGRAM} completion bash)`,
			`${PROGRAM} completion fish > ~/.config/fish/completions/${PROGRAM}.fish`,
		],
		async run(line) {
			const {SHELLS, completionScript} = await import('./manual.js');
			const shell = SHELLS.find((each) => each === line.positionals[0]);
			if (shell === undefined) {
				throw new UsageError(
					`completion needs a shell: bash, zsh or fish${line.positionals[0] === undefined ? '' : ` (got "${line.positionals[0]}")`}`,
				);
			}
			process.stdout.write(completionScript(shell, DASHBOARD, COMMANDS));
		},
	},
];
