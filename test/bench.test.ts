import assert from 'node:assert/strict';
import os from 'node:os';
import {execFile, spawn} from 'node:child_process';
import net from 'node:net';
import {test} from 'node:test';
import {NO_ERRORS} from '../source/server/protocol.js';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import {summarize, LatencyHistogram} from '../source/metrics/latency.js';
import {parseBenchOptions} from '../source/bench/options.js';
import {formatCharts} from '../source/bench/chart.js';
import {formatText, type BenchReport} from '../source/bench/report.js';
import {renderBench} from '../source/bench/main.js';
import {acceptQueueInSs, readAcceptQueue} from '../source/collectors/proc.js';
import {UsageError} from '../source/options/values.js';
import {waitFor} from './helpers/net.js';
import {assertConforms} from './helpers/json-schema.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const run = promisify(execFile);

test('bench end to end: a tiny matrix prints one JSON document with every column measured', async () => {
	const {stdout, stderr} = await run(
		process.execPath,
		[
			CLI,
			'bench',
			'--modes',
			'async,sequential',
			'--workloads',
			'echo,cpu',
			'--work-ms',
			'2',
			'--clients',
			'3',
			'--duration',
			'0.5',
			'--warmup',
			'0.2',
			'--json',
		],
		{timeout: 90_000},
	);
	const report = JSON.parse(stdout) as BenchReport;
	assertConforms('bench', report);
	assert.match(stderr, /sequential cpu ×3, ETA/, 'progress goes to stderr');
	assert.equal(report.settings.schedule, 'closed-loop');
	assert.equal(report.settings.ratePerSec, null);
	assert.equal(report.scenario, 'matrix');
	// A plain baseline for each listen backlog: Node's 511, async's 4096, sequential's listen(5).
	assert.deepEqual(
		report.rows.map((row) => `${row.server} ${row.backlog} ${row.workload}`),
		[
			'plain 511 echo',
			'plain 4096 echo',
			'plain 5 echo',
			'async 4096 echo',
			'sequential 5 echo',
			'plain 511 cpu',
			'plain 4096 cpu',
			'plain 5 cpu',
			'async 4096 cpu',
			'sequential 5 cpu',
		],
	);
	assert.ok(report.environment.cores > 0);
	// The machine it ran on (systeminformation), with the kernel the kernel itself reports.
	assert.ok(
		report.environment.machine?.includes(`Linux ${os.release()}`),
		`${report.environment.machine}`,
	);
	for (const row of report.rows) {
		const where = `${row.server}: ${JSON.stringify(row)}`;
		for (const key of [
			'messagesPerSec',
			'roundTrips',
			'measuredS',
			'peakThreads',
			'peakProcesses',
			'peakRssBytes',
			'cpuPercent',
			'cpuSeconds',
			'loadCpuPercent',
			'cpuMicrosPerMessage',
		] as const) {
			assert.equal(typeof row[key], 'number', `${key} of ${where}`);
			assert.ok((row[key] as number) > 0, `${key} > 0 in ${where}`);
		}
		assert.ok(Number.isInteger(row.peakThreads) && row.peakThreads >= 1);
		const {rtt} = row;
		assert.ok(rtt.samples > 0, where);
		assert.ok(
			rtt.p50Ms! <= rtt.p90Ms! &&
				rtt.p90Ms! <= rtt.p99Ms! &&
				rtt.p99Ms! <= rtt.p999Ms! &&
				rtt.p999Ms! <= rtt.maxMs!,
			where,
		);
		assert.ok(rtt.meanMs! > 0 && rtt.stdevMs! >= 0, where);
		assert.ok(row.bytesPerSec > 0, where);
		assert.deepEqual(Object.keys(row.errors).sort(), [
			'closed',
			'messageTimeouts',
			'other',
			'refused',
			'resets',
			'timeouts',
		]);
		assertHistogram(row, where);
		assert.equal(row.clients, 3);
		assert.equal(typeof row.verdict, 'string');
		assert.ok(row.verdict.length > 0);
	}
	const [plain, , , async, sequential] = report.rows;
	assert.match(plain!.verdict, /^baseline/);
	assert.equal(plain!.ratioMessagesPerSec, 1);
	for (const row of [plain!, async!]) {
		assert.equal(row.starved, 0, `${row.server} answers every client`);
		assert.ok(row.allFirstReplyMs! > 0);
	}
	assert.ok(async!.ratioMessagesPerSec! > 0 && async!.ratioP99! > 0);
	// The sequential model serves its first client only: the other two never get a reply.
	assert.equal(sequential!.starved, 2);
	assert.equal(sequential!.allFirstReplyMs, null);
	assert.match(sequential!.verdict, /2 of 3 clients starved/);
	assert.equal(sequential!.errors.timeouts, 2, 'a client that never had a reply is a timeout');
	// The text table fits the terminal's width; --wide shows every column, no header twice.
	for (const line of (await formatText(report, 80))
		.split('\n')
		.filter((line) => /^[┌│├└]/.test(line)))
		assert.ok(line.length <= 80, line);
	const wide = (await formatText(report)).split('\n');
	const headers = wide[wide.findIndex((line) => line.startsWith('┌')) + 1]!.split('│')
		.slice(1, -1)
		.map((cell) => cell.trim());
	assert.equal(new Set(headers).size, headers.length, headers.join('|'));
	assert.ok(headers.includes('timeouts') && headers.includes('p99.9') && headers.includes('MB/s'));
	assert.ok(headers.includes('late'));
	// Markdown: the calibration a sentence (not a stray `calibration:` JSON line), the charts fenced.
	const calibrated = {
		...report,
		extra: {calibration: {messagesPerSec: 2228, loadCpuPercent: 3, messagesPerCoreSecond: 76_828}},
	};
	const markdown = await renderBench(calibrated, {format: 'markdown', wide: true, chart: true});
	assert.doesNotMatch(markdown, /^\s*calibration:/m);
	assert.doesNotMatch(markdown, /^\s*\{"messagesPerSec"/m);
	assert.match(markdown, /calibrated against the plain server at 100 clients, drove 2228 msgs\/s/);
	const fenced = /\n```text\n([\s\S]*?)\n```$/.exec(markdown);
	assert.ok(fenced, 'the charts end the report, fenced');
	assert.ok(fenced[1]!.includes(formatCharts(report.rows, 100).split('\n')[0]!));
	const chart = formatCharts(report.rows, 80);
	assert.match(chart, /msgs\/s against clients/);
	assert.match(chart, /round-trip time by percentile at 3 clients/);
});

test('bench --generator node: the Node load workers drive the same rows, errors counted', async () => {
	const {stdout} = await run(
		process.execPath,
		[
			CLI,
			'bench',
			'--generator',
			'node',
			'--modes',
			'async',
			'--workloads',
			'echo',
			'--clients',
			'2',
			'--duration',
			'0.3',
			'--json',
		],
		{timeout: 60_000},
	);
	const report = JSON.parse(stdout) as BenchReport;
	assertConforms('bench', report);
	assert.deepEqual(
		report.rows.map((row) => `${row.server} ${row.generator}`),
		['plain node', 'plain node', 'async node'],
	);
	for (const row of report.rows) {
		assert.ok(row.messagesPerSec > 0 && row.rtt.samples > 0);
		assert.deepEqual(row.errors, {...NO_ERRORS, messageTimeouts: 0});
		assertHistogram(row, row.server);
	}
});

/** A row's JSON: its round trips as `latency`, with their histogram, every sample in a bucket. */
function assertHistogram(row: object, where: string): void {
	const {latency} = row as {latency: {samples: number; histogram: {count: number}[]}};
	assert.ok(latency.histogram.length > 0, where);
	assert.equal(
		latency.histogram.reduce((sum, bucket) => sum + bucket.count, 0),
		latency.samples,
		where,
	);
}

test('bench --fixed-rate --rate N: each client sends N a second whatever the replies, timed from when due', async () => {
	const {stdout, stderr} = await run(
		process.execPath,
		[
			CLI,
			...['bench', '--modes', 'async', '--workloads', 'echo', '--clients', '2'],
			...['--fixed-rate', '--rate', '50', '--duration', '1', '--warmup', '0.5', '--json'],
		],
		{timeout: 90_000},
	);
	const report = JSON.parse(stdout) as BenchReport;
	assertConforms('bench', report);
	assert.equal(report.settings.schedule, 'fixed-rate');
	assert.equal(report.settings.ratePerSec, 50);
	assert.doesNotMatch(stderr, /Node load workers/, 'the C generator ran the rows');
	for (const row of report.rows) {
		// The schedule's count at most: 2 clients × 50 a second over the 1 s window, and one each besides.
		assert.ok(row.roundTrips <= 2 * (50 * 1 + 1), `${row.server}: ${row.roundTrips}`);
		assert.ok(row.roundTrips > 0, row.server);
		assertHistogram(row, row.server);
	}
});

test('bench: a bad flag is one line on stderr and exit status 2', async () => {
	for (const args of [
		['--modes', 'async,nope'],
		['--clients', '0'],
		['--duration', 'x'],
		['--frobnicate'],
		['--json', '--markdown'],
		['--rate', '5'],
		['--fixed-rate'],
		['--timeout-ms', '0'],
	]) {
		const result = await run(process.execPath, [CLI, 'bench', ...args]).then(
			() => ({code: 0, stderr: '', stdout: ''}),
			(error: {code: number; stderr: string; stdout: string}) => error,
		);
		assert.equal(result.code, 2, args.join(' '));
		assert.equal(result.stdout, '');
		assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
		assert.match(result.stderr, /^concurrency-top: /);
		assert.ok(result.stderr.includes(args[0]!), `${result.stderr} names ${args[0]}`);
	}
});

test('bench options: defaults, lists and scenarios', () => {
	const options = parseBenchOptions({});
	assert.deepEqual(options.clients, [1, 10, 100, 1000]);
	assert.equal(options.scenario, 'matrix');
	assert.deepEqual(parseBenchOptions({scenario: 'storm'}).modes, ['async']);
	assert.deepEqual(parseBenchOptions({scenario: 'storm'}).clients, [1000]);
	assert.deepEqual(parseBenchOptions({clients: '4,4,10'}).clients, [4, 10]);
	assert.equal(parseBenchOptions({workMs: '2'}).workMs, 2);
	// The same flag, the same rule as the dashboard's (source/server/settings.ts): whole ms, 0 to 10000.
	for (const workMs of ['2.5', '10001']) {
		assert.throws(
			() => parseBenchOptions({workMs}),
			/^UsageError: --work-ms must be a whole number from 0 to 10000/,
		);
	}
	assert.throws(() => parseBenchOptions({scenario: 'x'}), UsageError);
	assert.throws(() => parseBenchOptions({modes: 'none'}), UsageError);
});

test('latency histogram: merged buckets give percentiles within 2%', () => {
	const a = new LatencyHistogram();
	const b = new LatencyHistogram();
	for (let i = 1; i <= 1000; i++) (i % 2 ? a : b).record(i * 1000);
	const summary = summarize([a, b])!;
	assert.equal(summary.samples, 1000);
	assert.ok(Math.abs(summary.p50Ms! - 500) / 500 <= 0.021, String(summary.p50Ms));
	assert.ok(Math.abs(summary.p99Ms! - 990) / 990 <= 0.021, String(summary.p99Ms));
	assert.equal(summary.maxMs, 1000);
	assert.ok(Math.abs(summary.meanMs! - 500.5) < 0.01, String(summary.meanMs));
	assert.ok(Math.abs(summary.stdevMs! - 288.67) < 0.1, String(summary.stdevMs));
	assert.ok(Math.abs(summary.p90Ms! - 900) / 900 <= 0.021 && summary.p999Ms! >= 990);
	assert.equal(summarize([new LatencyHistogram()]).samples, 0);
	assert.equal(summarize([new LatencyHistogram()]).p50Ms, null);
});

test('accept queue: parsed from ss, and read from a real listener that does not accept', async () => {
	assert.equal(acceptQueueInSs('LISTEN 3      511    127.0.0.1:8080 0.0.0.0:*\n'), 3);
	assert.equal(acceptQueueInSs(''), 0);
	// A listener whose event loop is busy: connections complete in the kernel and wait there.
	const child = spawn(
		process.execPath,
		[
			'-e',
			`const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);const end=Date.now()+4000;while(Date.now()<end);process.exit(0)})`,
		],
		{stdio: ['ignore', 'pipe', 'inherit']},
	);
	try {
		const port = await new Promise<number>((resolve) =>
			child.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim()))),
		);
		const sockets = [1, 2, 3].map(() => net.connect(port, '127.0.0.1').on('error', () => {}));
		const depth = await waitFor(async () => {
			const value = await readAcceptQueue(port);
			return value !== null && value >= 3 ? value : undefined;
		}, 'three connections in the accept queue');
		assert.equal(depth, 3);
		for (const socket of sockets) socket.destroy();
	} finally {
		child.kill('SIGKILL');
	}
});
