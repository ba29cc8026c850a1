/**
 * Start-up time: `--version` to exit, and start to the first frame of the dashboard in a real
 * pseudo-terminal of 80x24 (node-pty, read through @xterm/headless), each the median of several runs,
 * runs of the programs compared interleaved so that a noisy machine weighs on all of them alike.
 *
 *   node dist/bench/startup.js [--runs=9] [--cli=dist/cli.js[,/other/checkout/dist/cli.js]] [--no-htop]
 *                              [--modes=async,sequential]
 *
 * `node -e 0` is measured as the floor (Node's own start), and htop's first frame as a reference.
 * "first frame" is the first screen with the dashboard's connection list on it; "figures on screen"
 * the first with every figure (threads, processes, RSS and CPU, the machine's CPU and memory).
 * With --modes, "figures on screen" once more for each model given (what a model's start costs).
 * Beside the wall time, the CPU time the program itself used until then (user + system, from
 * /usr/bin/time and /proc/<pid>/stat, 10 ms steps): on a busy machine the wall time mostly measures
 * the queue for a core, the CPU time what the program costs.
 */
import {spawnSync, execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
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
const modes = argument('modes')?.split(',') ?? [];

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

type Sample = {readonly wallMs: number; readonly cpuMs: number | null};

/** Wall and CPU time of a command that exits by itself, in ms (CPU from /usr/bin/time -f). */
function timeToExit(file: string, args: readonly string[]): Sample {
	const started = performance.now();
	const result = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', file, ...args], {encoding: 'utf8'});
	const wallMs = performance.now() - started;
	if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${result.status}`);
	const cpu = /cpu (\d+\.\d+) (\d+\.\d+)\s*$/.exec(result.stderr);
	return {wallMs, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : null};
}

/** CPU time process `pid` has used, in ms (utime + stime of /proc/<pid>/stat, 100 ticks a second). */
function cpuMsOf(pid: number): number | null {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
	} catch {
		return null;
	}
}

/** Spawn to the first screen that shows `marker`, checked every 2 ms, and the CPU used until then. */
async function timeToFrame(
	file: string,
	args: readonly string[],
	marker: string | RegExp,
): Promise<Sample> {
	const started = performance.now();
	const session = new PtySession(file, args, {cols: 80, rows: 24});
	try {
		const deadline = started + 15_000;
		for (;;) {
			await session.settled();
			const text = session.text();
			if (typeof marker === 'string' ? text.includes(marker) : marker.test(text)) {
				return {wallMs: performance.now() - started, cpuMs: cpuMsOf(session.pid)};
			}
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

/**
 * The whole first frame with every figure it can have before any client: the server's threads,
 * processes, RSS and CPU share, and the machine's CPU and memory (in the bottom line, drawn last).
 */
const FIGURES = /OS thr\/procs\s+\d+\/\d+[^]*rss cpu\s+\S+ \d+%[^]*host cpu \d+% mem \S+\/\S+/;

type Case = {readonly name: string; readonly measure: () => Promise<Sample>};
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
		{
			name: `${cli}: figures on screen`,
			measure: async () => timeToFrame(process.execPath, [cli, '--port', '0'], FIGURES),
		},
		...modes.map((mode) => ({
			name: `${cli} --mode ${mode}: figures on screen`,
			measure: async () =>
				timeToFrame(process.execPath, [cli, '--port', '0', '--mode', mode], FIGURES),
		})),
	);
}
if (withHtop)
	cases.push({
		name: 'htop: first frame',
		measure: async () => timeToFrame('htop', [], 'Load average'),
	});

const samples = new Map<string, Sample[]>(cases.map((each) => [each.name, []]));
for (let run = 0; run < runs; run++) {
	for (const each of cases) samples.get(each.name)!.push(await each.measure());
}
const show = (values: readonly number[]) =>
	values.length === 0
		? '      -'.repeat(3)
		: [median(values), Math.min(...values), Math.max(...values)]
				.map((value) => value.toFixed(0).padStart(7))
				.join('');
console.log(`start-up, ${runs} runs each, interleaved; pty 80x24; ms; load average ${loadavg()}`);
const width = Math.max(52, ...[...samples.keys()].map((name) => name.length));
console.log(
	`${'what'.padEnd(width)}${'wall: median    min    max'.padStart(28)}${'cpu: median    min    max'.padStart(28)}`,
);
for (const [name, values] of samples) {
	const cpu = values.flatMap((value) => (value.cpuMs === null ? [] : [value.cpuMs]));
	console.log(`${name.padEnd(width)}  ${show(values.map((value) => value.wallMs))}   ${show(cpu)}`);
}

function loadavg(): string {
	return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
