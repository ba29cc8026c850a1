/* global process, setTimeout, clearTimeout, URL */
/**
 * Runs the built CLI in a pseudo-terminal (node-pty), lets it run, and reads the screen back through a
 * headless xterm: what scripts/capture-frame.mjs prints as text and scripts/capture-svg.mjs draws.
 * Needs `npm run build` first and the dev dependencies.
 */
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import xterm from '@xterm/headless';
import pty from 'node-pty';

/** The flags both scripts take (see capture-frame.mjs). */
export function captureOptions(args = process.argv.slice(2), defaults = {}) {
	const {values, positionals} = parseArgs({
		args,
		allowPositionals: true,
		options: {
			seconds: {type: 'string', default: defaults.seconds ?? '4'},
			clients: {type: 'string', default: defaults.clients ?? '5'},
			mode: {type: 'string', default: defaults.mode ?? 'async'},
			rate: {type: 'string', default: defaults.rate ?? '2'},
			cols: {type: 'string', default: '80'},
			rows: {type: 'string', default: '24'},
			watch: {type: 'boolean', default: false},
			keys: {type: 'string', default: ''},
			out: {type: 'string', default: defaults.out ?? ''},
		},
	});
	return {...values, positionals};
}

/**
 * The screen after `seconds` (with `keys` typed halfway), as xterm holds it: `read(callback)` is
 * called with the active buffer before the program is told to quit.
 */
export async function captureScreen(options, read) {
	const cols = Number(options.cols);
	const rows = Number(options.rows);
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
			...(options.watch ? ['watch'] : ['--port', '0', '--mode', options.mode]),
			'--clients',
			options.clients,
			'--rate',
			options.rate,
			...options.positionals,
		],
		{cols, rows, env},
	);
	child.onData((data) => terminal.write(data));
	const exited = new Promise((resolve) => child.onExit(resolve));
	const half = (Number(options.seconds) * 1000) / 2;
	await new Promise((resolve) => setTimeout(resolve, half));
	if (options.keys !== '') child.write(options.keys);
	await new Promise((resolve) => setTimeout(resolve, half));
	// Let xterm finish parsing what arrived, then read the visible screen.
	await new Promise((resolve) => terminal.write('', resolve));
	const result = read(terminal.buffer.active, {cols, rows});
	child.write('q');
	const timer = setTimeout(() => child.kill(), 3000);
	await exited;
	clearTimeout(timer);
	terminal.dispose();
	return result;
}
