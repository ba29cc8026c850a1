#!/usr/bin/env node
import {render} from 'ink';
import meow from 'meow';
import {Controller, DEFAULT_TIMING} from './source/controller.js';
import {toJsonLine} from './source/json-output.js';
import {DEFAULTS, MAX_CLIENTS, parseOptions, UsageError, type Options} from './source/options.js';
import {HANDLER_NAMES} from './source/server/handler.js';
import {ListenError} from './source/server/listen.js';
import {MODE_NAMES, MODE_SUMMARY} from './source/server/mode.js';
import {App} from './source/ui/app.js';

// `concurrency-top bench …` is a program of its own (source/bench): it never starts the dashboard.
if (process.argv[2] === 'bench') {
	const {benchMain} = await import('./source/bench/main.js');
	process.exit(await benchMain(process.argv.slice(3)));
}

const cli = meow(
	`
	Usage
	  $ concurrency-top [options]
	  $ concurrency-top bench [options]   measure every model against a plain server (bench --help)

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
	  --json            no dashboard: one JSON snapshot per line per second on stdout
	                    (also when stdout is not a terminal)
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
		},
	},
);

function fail(message: string): never {
	process.stderr.write(`concurrency-top: ${message}\n`);
	process.exit(2);
}

let options: Options;
try {
	if (cli.input.length > 0)
		throw new UsageError(`unexpected argument "${cli.input[0]}": see --help`);
	options = parseOptions(cli.flags);
} catch (error: unknown) {
	if (error instanceof UsageError) fail(error.message);
	throw error;
}

const headless = options.json || !process.stdout.isTTY;
// Headless output is a log: one line a second, when the rates roll, is plenty.
const controller = new Controller(
	options,
	headless ? {...DEFAULT_TIMING, tickMs: DEFAULT_TIMING.rollMs} : DEFAULT_TIMING,
);
try {
	await controller.start();
} catch (error: unknown) {
	await controller.stop();
	if (error instanceof ListenError) fail(error.message);
	throw error;
}

let quitting = false;
async function quit(code: number, beforeExit?: () => void): Promise<void> {
	if (quitting) return;
	quitting = true;
	beforeExit?.();
	await controller.stop();
	process.exit(code);
}

if (headless) {
	controller.subscribe((snapshot) => {
		process.stdout.write(`${JSON.stringify(toJsonLine(snapshot))}\n`);
	});
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
		process.on(signal, () => void quit(0));
} else {
	const ink = render(
		<App controller={controller} onQuit={() => void quit(0, () => ink.unmount())} />,
		{
			exitOnCtrlC: false,
		},
	);
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
		process.on(signal, () => void quit(0, () => ink.unmount()));
	}
}
