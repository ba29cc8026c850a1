/**
 * Bytes per second written to a real pseudo-terminal, and full-screen clears, at 80x24 and 200x50.
 *
 *   node dist/bench/terminal-output.js [--seconds=20] [--warmup=3] [--sizes=80x24,200x50]
 *                                      [--command='node dist/cli.js --clients 20 --port 0'] [--no-htop]
 *
 * The command defaults to the dashboard (dist/cli.js) if it is built, else the fixture table app through
 * the full-screen layer. In the same run it measures references: the fixture through the layer, the same
 * fixture rendered by plain Ink (the baseline the layer replaces), and htop if installed.
 */
import {existsSync} from 'node:fs';
import {execFileSync} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {PtySession} from '../test/helpers/pty.js';

const argument = (name: string): string | undefined => {
	const prefix = `--${name}=`;
	const match = process.argv.find((arg) => arg === `--${name}` || arg.startsWith(prefix));
	if (match === undefined) return undefined;
	return match.startsWith(prefix) ? match.slice(prefix.length) : '';
};

const seconds = Number(argument('seconds') ?? 20);
const warmup = Number(argument('warmup') ?? 3);
const sizes = (argument('sizes') ?? '80x24,200x50').split(',').map((size) => {
	const [cols, rows] = size.split('x').map(Number);
	return {cols: cols ?? 80, rows: rows ?? 24};
});

const node = process.execPath;
const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
const fixture = fileURLToPath(new URL('../test/fixtures/table-app.js', import.meta.url));

type Target = {readonly name: string; readonly file: string; readonly args: readonly string[]};

const targets: Target[] = [];
const command = argument('command');
if (command !== undefined) {
	targets.push({name: 'command', file: '/bin/sh', args: ['-c', `exec ${command}`]});
} else if (existsSync(cli)) {
	targets.push({name: 'dashboard', file: node, args: [cli, '--clients', '20', '--port', '0']});
}
targets.push(
	{name: 'fixture, layer', file: node, args: [fixture]},
	{name: 'fixture, plain Ink (baseline)', file: node, args: [fixture, '--plain']},
);
const htop = (() => {
	if (argument('no-htop') !== undefined) return undefined;
	try {
		return execFileSync('sh', ['-c', 'command -v htop'], {encoding: 'utf8'}).trim() || undefined;
	} catch {
		return undefined;
	}
})();
if (htop !== undefined) targets.push({name: 'htop', file: htop, args: []});

const sleep = async (ms: number): Promise<void> =>
	new Promise((resolve) => {
		setTimeout(resolve, ms);
	});

type Row = {target: string; size: string; bytesPerSecond: number; clears: number};

async function measure(target: Target, cols: number, rows: number): Promise<Row> {
	const session = new PtySession(target.file, target.args, {
		cols,
		rows,
		env: {TERM: 'xterm-256color', LANG: process.env['LANG'] ?? 'C.UTF-8'},
	});
	try {
		await sleep(warmup * 1000);
		session.resetCounters();
		await sleep(seconds * 1000);
		const elapsed = session.elapsedMs() / 1000;
		const row = {
			target: target.name,
			size: `${cols}x${rows}`,
			bytesPerSecond: session.bytes / elapsed,
			clears: session.clear2J + session.clear3J,
		};
		if (session.exited) throw new Error(`${target.name} exited early: ${session.text()}`);
		session.press('q');
		await session.waitForExit(3000).catch(() => undefined);
		return row;
	} finally {
		await session.dispose();
	}
}

const results: Row[] = [];
for (const {cols, rows} of sizes) {
	for (const target of targets) {
		process.stderr.write(`measuring ${target.name} at ${cols}x${rows} for ${seconds} s…\n`);
		results.push(await measure(target, cols, rows));
	}
}

const baseline = (size: string): number =>
	results.find((row) => row.size === size && row.target.includes('baseline'))?.bytesPerSecond ?? 0;
const table = [
	['target', 'size', 'bytes/s', 'KB/s', 'clears', 'vs baseline'],
	...results.map((row) => [
		row.target,
		row.size,
		row.bytesPerSecond.toFixed(0),
		(row.bytesPerSecond / 1024).toFixed(2),
		String(row.clears),
		baseline(row.size) > 0
			? `${((row.bytesPerSecond / baseline(row.size)) * 100).toFixed(1)}%`
			: '',
	]),
];
const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
console.log(
	`Terminal output, ${seconds} s after a ${warmup} s warm-up, TERM=xterm-256color (clears: ESC[2J + ESC[3J)`,
);
for (const line of table) {
	console.log(line.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
}
for (const target of targets)
	console.log(`${target.name}: ${[target.file, ...target.args].join(' ')}`);
