import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {findDescendants} from '../source/collectors/proc.js';
import {isAlive} from './helpers/servers.js';
import {sleep} from './helpers/net.js';
import {assertConforms} from './helpers/json-schema.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

type Row = {
	name: string;
	pid: number | null;
	clients: {
		total: number;
		connected: number;
		waiting: number;
		answered: number;
		unanswered: number;
	};
	serverWaiting: number | null;
	osThreads: number | null;
	processes: number | null;
	messagesPerSec: number;
	best: string[];
};
type Line = {rows: Row[]; leftOut: {name: string; reason: string}[]};
type Summary = {
	summary: {
		window: {fromAt: number; toAt: number; seconds: number; startupExcludedS: number};
		rows: (Row & {
			latency: {
				samples: number;
				p50Ms: number;
				p99Ms: number;
				histogram: {leMs: number; count: number}[];
			};
		})[];
	};
};

/** Runs compare headless to its end, noting every process of the tree while it runs. */
async function runCompare(args: readonly string[]) {
	const child = spawn(process.execPath, [CLI, 'compare', ...args], {
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	const seen = new Set<number>();
	const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
	let done = false;
	void exited.then(() => (done = true));
	while (!done) {
		for (const pid of await findDescendants(child.pid!)) seen.add(pid);
		await sleep(200);
	}
	return {code: await exited, stdout, stderr, seen};
}

test('compare --modes async,thread,pool --clients 14 --json --duration 5: the rows the issue asks for', async () => {
	const {code, stdout, stderr, seen} = await runCompare([
		'--modes',
		'async,thread,pool',
		'--clients',
		'14',
		'--json',
		'--duration',
		'5',
	]);
	assert.equal(code, 0, stderr);
	const all = stdout
		.trim()
		.split('\n')
		.map((line) => JSON.parse(line) as Line | Summary);
	for (const line of all) assertConforms('compare', line);
	const lines = all.filter((line): line is Line => 'rows' in line);
	assert.ok(lines.length >= 3, stdout);
	const last = lines.at(-1)!;
	const row = (name: string) => last.rows.find((candidate) => candidate.name === name)!;
	// The last line sums up the measured window, from when every server listened: not the last second.
	const {summary} = all.at(-1) as Summary;
	assert.ok(summary, 'the last line is the summary');
	assert.ok(summary.window.startupExcludedS > 0, 'the start-up is left out, and said');
	assert.ok(summary.window.seconds >= 2, JSON.stringify(summary.window));
	const async = summary.rows.find((measured) => measured.name === 'async')!;
	assert.ok(async.latency.samples > 0 && async.latency.p50Ms > 0, JSON.stringify(async));
	for (const measured of summary.rows) {
		assert.equal(
			measured.latency.histogram.reduce((sum, bucket) => sum + bucket.count, 0),
			measured.latency.samples,
		);
	}
	assert.deepEqual(
		last.rows.map((candidate) => candidate.name),
		['async', 'thread', 'pool'],
	);
	// The default pool has 10 threads: 4 of 14 clients wait, by the clients' count and the server's.
	assert.equal(row('pool').clients.waiting, 4, JSON.stringify(row('pool')));
	assert.equal(row('pool').serverWaiting, 4);
	assert.ok(row('thread').osThreads! > row('async').osThreads!, JSON.stringify(last.rows));
	assert.deepEqual(row('async').clients, {
		total: 14,
		connected: 14,
		waiting: 0,
		answered: 14,
		unanswered: 0,
	});
	// Over the window, not the last second (which was 0 msg/s on a busy machine).
	assert.ok(async.messagesPerSec > 0, JSON.stringify(async));
	// Each server in a process of its own, apart from the compare process and the load.
	const pids = last.rows.map((candidate) => candidate.pid);
	assert.equal(new Set(pids).size, 3);
	for (const pid of pids) assert.ok(seen.has(pid!), `server ${pid} is a child of compare`);
	// Nothing of ours outlives compare.
	await sleep(300);
	assert.deepEqual(
		[...seen].filter((pid) => isAlive(pid)),
		[],
	);
});

test('a memory budget too small for a row leaves it out and says why', async () => {
	const {code, stdout, stderr} = await runCompare([
		'--modes',
		'async,process',
		'--clients',
		'14',
		'--budget-mb',
		'300',
		'--json',
		'--duration',
		'2',
	]);
	assert.equal(code, 0, stderr);
	// The summary of the measured window names the rows left out too.
	const last = (JSON.parse(stdout.trim().split('\n').at(-1)!) as {summary: Line}).summary;
	assert.deepEqual(
		last.rows.map((row) => row.name),
		['async'],
	);
	assert.equal(last.leftOut[0]!.name, 'process');
	assert.match(
		last.leftOut[0]!.reason,
		/^needs \d+(\.\d)?[MG] for 14 clients, \d+M of the 300M budget left$/,
	);
});

test('--duration with --markdown ends by itself and prints the final table', async () => {
	const {code, stdout, stderr} = await runCompare([
		'--modes',
		'async,sequential',
		'--clients',
		'3',
		'--duration',
		'2',
		'--markdown',
	]);
	assert.equal(code, 0, stderr);
	assert.match(stdout, /^Measured with `concurrency-top compare --modes async,sequential/);
	assert.match(
		stdout,
		/measured over \d+\.\d s from when every server listened \(the \d+\.\d s start-up left out\)/,
	);
	assert.match(stdout, /\n\| server \| msg\/s \| p50 \|/);
	assert.match(stdout, /\n\| async \| /);
	assert.match(stdout, /\n\| sequential \| .* \| ~One at a time \|/);
});

test('compare: bad input is one line and status 2', () => {
	const result = spawnSync(process.execPath, [CLI, 'compare', '--modes', 'fork'], {
		encoding: 'utf8',
	});
	assert.equal(result.status, 2);
	assert.match(result.stderr, /^concurrency-top: --modes is a comma-separated list of .*\n$/);
});

test('an outside server on this machine is a row: its clients, and its processes read from /proc', async (t) => {
	// A plain echo server in a process of its own, as someone else's server would be.
	const server = spawn(
		process.execPath,
		[
			'-e',
			"const s = require('net').createServer((c) => c.pipe(c)).listen(0, '127.0.0.1', () => console.log(s.address().port))",
		],
		{stdio: ['ignore', 'pipe', 'ignore']},
	);
	t.after(() => server.kill());
	const port = await new Promise<number>((resolve) =>
		server.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
	);
	const {code, stdout, stderr} = await runCompare([
		'--modes',
		'async',
		'--target',
		`plain=127.0.0.1:${port}`,
		'--clients',
		'3',
		'--json',
		'--duration',
		'3',
	]);
	assert.equal(code, 0, stderr);
	const last = JSON.parse(stdout.trim().split('\n').at(-2)!) as Line;
	const plain = last.rows.find((row) => row.name === 'plain')!;
	assert.ok(plain, stdout);
	assert.equal(plain.pid, server.pid);
	assert.deepEqual(plain.clients, {total: 3, connected: 3, waiting: 0, answered: 3, unanswered: 0});
	assert.equal(plain.processes, 1);
	assert.ok(plain.osThreads! >= 1);
	assert.equal(plain.serverWaiting, null, 'not ours to count');
});
