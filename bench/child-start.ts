/**
 * What a child of process per client costs to start, the floor under its start under a storm: N children
 * forked at once, each timed from fork to its first IPC message, with the CPU each used by then
 * (utime + stime from /proc/PID/stat, read as it says ready), for several ways of starting one.
 *
 *   npm run build && node dist/bench/child-start.js [N=14] [rounds=3] [variants=all]
 *
 * Variants: `entry` (the model's own child, dist/app/child-entry.cjs, as serving-child.ts forks it),
 * `bare` (a file that only says ready: Node's own start), `bare-advanced` (the same with
 * serialization 'advanced'), `entry-jitless`, `entry-lite`, `entry-max-lazy` (V8 flags in execArgv),
 * `snapshot` (a user-land startup snapshot, `node --snapshot-blob`, built here with --build-snapshot).
 * Rounds interleave the variants, so the machine's load falls on each alike.
 */
import {execFileSync, fork, spawn, type ChildProcess} from 'node:child_process';
import {readFileSync, writeFileSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {fileURLToPath} from 'node:url';
import {cpuSeconds} from '../test/helpers/cpu.js';

const [count = 14, rounds = 3] = process.argv.slice(2, 4).map(Number);
const ENTRY = fileURLToPath(new URL('../app/child-entry.cjs', import.meta.url));

const dir = mkdtempSync(path.join(tmpdir(), 'child-start-'));
const bare = path.join(dir, 'bare.cjs');
writeFileSync(
	bare,
	"process.send({type: 'ready'});\nprocess.on('disconnect', () => process.exit(0));\n",
);
const snapshotEntry = path.join(dir, 'snapshot-entry.cjs');
writeFileSync(
	snapshotEntry,
	"require('node:v8').startupSnapshot.setDeserializeMainFunction(() => {\n" +
		"\tprocess.send({type: 'ready'});\n\tprocess.on('disconnect', () => process.exit(0));\n});\n",
);
const blob = path.join(dir, 'snapshot.blob');
execFileSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', snapshotEntry]);

const STDIO = ['ignore', 'ignore', 'ignore', 'ipc'] as const;
type Variant = () => ChildProcess;
const VARIANTS: Record<string, Variant> = {
	entry: () => fork(ENTRY, [], {execArgv: [], stdio: [...STDIO]}),
	bare: () => fork(bare, [], {execArgv: [], stdio: [...STDIO]}),
	'bare-advanced': () =>
		fork(bare, [], {execArgv: [], stdio: [...STDIO], serialization: 'advanced'}),
	'entry-jitless': () => fork(ENTRY, [], {execArgv: ['--jitless'], stdio: [...STDIO]}),
	'entry-lite': () => fork(ENTRY, [], {execArgv: ['--lite-mode'], stdio: [...STDIO]}),
	'entry-max-lazy': () => fork(ENTRY, [], {execArgv: ['--max-lazy'], stdio: [...STDIO]}),
	snapshot: () => spawn(process.execPath, ['--snapshot-blob', blob], {stdio: [...STDIO]}),
};
const chosen = (process.argv[4] ?? Object.keys(VARIANTS).join(',')).split(',');

async function round(name: string): Promise<{last: number; median: number; cpu: number}> {
	const start = performance.now();
	const readyAt: number[] = [];
	const cpu: number[] = [];
	const children = Array.from({length: count}, () => VARIANTS[name]!());
	await Promise.all(
		children.map(
			(child) =>
				new Promise<void>((resolve) => {
					child.once('message', () => {
						readyAt.push(performance.now() - start);
						cpu.push(cpuSeconds(child.pid!));
						resolve();
					});
				}),
		),
	);
	await Promise.all(
		children.map(
			(child) =>
				new Promise((resolve) => {
					child.once('exit', resolve);
					child.kill('SIGKILL');
				}),
		),
	);
	readyAt.sort((a, b) => a - b);
	cpu.sort((a, b) => a - b);
	return {last: readyAt.at(-1)!, median: readyAt[readyAt.length >> 1]!, cpu: cpu[cpu.length >> 1]!};
}

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
console.log(
	`${count} children at once, ${rounds} rounds interleaved, Node ${process.version}, load ${load()}`,
);
const results = new Map<string, Array<{last: number; median: number; cpu: number}>>();
for (let r = 0; r < rounds; r++) {
	for (const name of chosen) {
		const result = await round(name);
		results.set(name, [...(results.get(name) ?? []), result]);
	}
}
const ms = (values: number[]) => values.map((value) => Math.round(value)).join('/');
for (const [name, runs] of results) {
	console.log(
		`${name.padEnd(15)} median ready ${ms(runs.map((run) => run.median))} ms, last ${ms(runs.map((run) => run.last))} ms, CPU each (median) ${ms(runs.map((run) => run.cpu * 1000))} ms`,
	);
}
console.log(`load ${load()}`);
rmSync(dir, {recursive: true, force: true});
