#!/usr/bin/env node
/* global process, console, setTimeout, clearTimeout, URL */
/**
 * Prints one real frame of the dashboard as text, for the readme: runs the built CLI in a
 * pseudo-terminal of 80x24 (node-pty), lets it run with some test clients, and reads the screen
 * back through a headless xterm. Needs `npm run build` first and the dev dependencies.
 *
 *   node scripts/capture-frame.mjs [--seconds 4] [--clients 5] [--mode async] [--rate 2]
 *                                  [--cols 80] [--rows 24] [-- more dashboard flags]
 *
 * With --watch, a frame of `watch` instead: what follows -- is what to watch, as in
 *   node scripts/capture-frame.mjs --watch --clients 14 -- --handler upper -- python3 examples/python/pool_server.py --port 0
 *
 * --keys KEYS types KEYS halfway through (`--keys t`: the frame of the threads view).
 */
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import xterm from '@xterm/headless';
import pty from 'node-pty';

const {values, positionals} = parseArgs({
	allowPositionals: true,
	options: {
		seconds: {type: 'string', default: '4'},
		clients: {type: 'string', default: '5'},
		mode: {type: 'string', default: 'async'},
		rate: {type: 'string', default: '2'},
		cols: {type: 'string', default: '80'},
		rows: {type: 'string', default: '24'},
		watch: {type: 'boolean', default: false},
		keys: {type: 'string', default: ''},
	},
});
const cols = Number(values.cols);
const rows = Number(values.rows);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

// Ink draws nothing until exit when it believes it runs in CI.
const env = {...process.env, TERM: 'xterm-256color', LANG: 'C.UTF-8'};
delete env.CI;
delete env.CONTINUOUS_INTEGRATION;

const terminal = new xterm.Terminal({cols, rows, allowProposedApi: true});
const child = pty.spawn(
	process.execPath,
	[
		cli,
		...(values.watch ? ['watch'] : ['--port', '0', '--mode', values.mode]),
		'--clients',
		values.clients,
		'--rate',
		values.rate,
		...positionals,
	],
	{cols, rows, env},
);
child.onData((data) => terminal.write(data));
const exited = new Promise((resolve) => child.onExit(resolve));

const half = (Number(values.seconds) * 1000) / 2;
await new Promise((resolve) => setTimeout(resolve, half));
if (values.keys !== '') child.write(values.keys);
await new Promise((resolve) => setTimeout(resolve, half));
// Let xterm finish parsing what arrived, then read the visible screen.
await new Promise((resolve) => terminal.write('', resolve));
const buffer = terminal.buffer.active;
const screen = Array.from(
	{length: rows},
	(_, row) => buffer.getLine(buffer.viewportY + row)?.translateToString(true) ?? '',
);
child.write('q');
const timer = setTimeout(() => child.kill(), 3000);
await exited;
clearTimeout(timer);
terminal.dispose();
console.log(screen.join('\n').trimEnd());
