/**
 * Start-up time: `--version` to exit, and start to the first frame of the dashboard in a real
 * pseudo-terminal of 80x24 (node-pty, read through @xterm/headless), each the median of several runs,
 * runs of the programs compared interleaved so that a noisy machine weighs on all of them alike.
 *
 *   node dist/bench/startup.js [--runs=9] [--cli=dist/cli.js[,/other/checkout/dist/cli.js]] [--no-htop]
 *
 * `node -e 0` is measured as the floor (Node's own start), and htop's first frame as a reference.
 */
import {spawnSync, execFileSync} from 'node:child_process';
import {performance} from 'node:perf_hooks';
import {fileURLToPath} from 'node:url';
import {PtySession} from '../test/helpers/pty.js';

const argument = (name: string): string | undefined => {
	const prefix = `--${name}=`;
	const match = process.argv.find((arg) => arg === `--${name}` || arg.startsWith(prefix));
	if (match === undefined) return undefined;
	return match.startsWith(prefix) ? match.slice(prefix.length) : '';
};

const runs = Number(argument('runs') ?? 9);
const clis = (argument('cli') ?? fileURLToPath(new URL('../cli.js', import.meta.url))).split(',');
const withHtop = argument('no-htop') === undefined && hasHtop();

function hasHtop(): boolean {
	try {
		execFileSync('htop', ['--version'], {stdio: 'ignore'});
		return true;
	} catch {
		return false;
	}
}

const sleep = async (ms: number) =>
	new Promise((resolve) => {
		setTimeout(resolve, ms);
	});

/** Wall time of a command that exits by itself, in ms. */
function timeToExit(file: string, args: readonly string[]): number {
	const started = performance.now();
	const result = spawnSync(file, args, {stdio: 'ignore'});
	if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${result.status}`);
	return performance.now() - started;
}

/** Spawn to the first screen that shows `marker`, in ms, checked every 2 ms. */
async function timeToFrame(file: string, args: readonly string[], marker: string): Promise<number> {
	const started = performance.now();
	const session = new PtySession(file, args, {cols: 80, rows: 24});
	try {
		const deadline = started + 15_000;
		for (;;) {
			await session.settled();
			if (session.text().includes(marker)) return performance.now() - started;
			if (performance.now() > deadline)
				throw new Error(`no "${marker}" from ${file} ${args.join(' ')}`);
			await sleep(2);
		}
	} finally {
		await session.dispose();
	}
}

const median = (values: readonly number[]) => {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

type Case = {readonly name: string; readonly measure: () => Promise<number>};
const cases: Case[] = [
	{name: 'node -e 0 (floor)', measure: async () => timeToExit(process.execPath, ['-e', '0'])},
];
for (const cli of clis) {
	cases.push(
		{
			name: `${cli} --version`,
			measure: async () => timeToExit(process.execPath, [cli, '--version']),
		},
		{
			name: `${cli}: first frame`,
			measure: async () => timeToFrame(process.execPath, [cli, '--port', '0'], 'Connections'),
		},
	);
}
if (withHtop)
	cases.push({
		name: 'htop: first frame',
		measure: async () => timeToFrame('htop', [], 'Load average'),
	});

const samples = new Map<string, number[]>(cases.map((each) => [each.name, []]));
for (let run = 0; run < runs; run++) {
	for (const each of cases) samples.get(each.name)!.push(await each.measure());
}
console.log(`start-up, ${runs} runs each, interleaved; pty 80x24; ms`);
console.log(
	`${'what'.padEnd(64)} ${'median'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)}`,
);
for (const [name, values] of samples) {
	const show = (value: number) => value.toFixed(0).padStart(7);
	console.log(
		`${name.padEnd(64)} ${show(median(values))} ${show(Math.min(...values))} ${show(Math.max(...values))}`,
	);
}
