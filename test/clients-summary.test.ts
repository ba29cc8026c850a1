import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import net from 'node:net';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import type {ClientsSummary, ClientsView} from '../source/clients/meter.js';
import {formatClientsSummary} from '../source/clients/summary.js';
import {stallingEchoServer} from './helpers/net.js';
import {assertConforms} from './helpers/json-schema.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const run = promisify(execFile);

test('clients --warmup --duration: runs that long, then ends with a summary of the measured window', async () => {
	let resets = 0;
	const echo = net.createServer((socket) => {
		socket.on('error', () => {});
		// The fourth connection is reset at its first message: an error the summary must count.
		if (++resets === 4) socket.once('data', () => socket.resetAndDestroy());
		else socket.pipe(socket);
	});
	await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
	const {port} = echo.address() as net.AddressInfo;
	const started = Date.now();
	const {stdout} = await run(
		process.execPath,
		[
			CLI,
			'clients',
			'--target',
			`127.0.0.1:${port}`,
			'--clients',
			'4',
			'--rate',
			'50',
			'--warmup',
			'0.5',
			'--duration',
			'1.5',
			'--json',
		],
		{timeout: 20_000},
	);
	const elapsed = Date.now() - started;
	echo.close();
	const lines = stdout.trim().split('\n');
	const {summary} = JSON.parse(lines.at(-1)!) as {summary: ClientsSummary};
	assert.ok(elapsed >= 2000, `ran the warm-up and the duration (${elapsed} ms)`);
	assert.ok(summary.durationS >= 1.4 && summary.durationS < 3, String(summary.durationS));
	assert.equal(summary.clients, 4);
	assert.ok(summary.roundTrips > 50, String(summary.roundTrips));
	assert.ok(summary.bytesPerSec > summary.messagesPerSec, 'bytes/s counts every byte back');
	const {rtt} = summary;
	assert.ok(rtt.p50Ms! <= rtt.p90Ms! && rtt.p99Ms! <= rtt.p999Ms! && rtt.p999Ms! <= rtt.maxMs!);
	assert.ok(rtt.meanMs! > 0 && rtt.stdevMs! >= 0);
	const views = lines.slice(0, -1).map((line) => JSON.parse(line) as ClientsView);
	assert.ok(views.length >= 1, 'a line a second before the summary');
	assert.ok(
		views.some((view) => view.errors.resets >= 1),
		'the reset connection is counted in the live figures',
	);
});

test('clients: --warmup without --duration is refused in one line, status 2', async () => {
	const result = await run(process.execPath, [
		CLI,
		'clients',
		'--target',
		'127.0.0.1:9',
		'--warmup',
		'1',
	]).catch((error: {code: number; stderr: string}) => error);
	assert.equal((result as {code: number}).code, 2);
	assert.match((result as {stderr: string}).stderr, /--warmup needs --duration/);
	assert.equal((result as {stderr: string}).stderr.trim().split('\n').length, 1);
});

test('the clients summary reads like autocannon: percentiles, throughput, errors', () => {
	const text = formatClientsSummary(
		{
			target: '127.0.0.1:7000',
			durationS: 10,
			clients: 5,
			roundTrips: 1000,
			messagesPerSec: 100,
			bytesPerSec: 2048,
			rtt: {
				samples: 1000,
				p50Ms: 1,
				p90Ms: 2,
				p99Ms: 3,
				p999Ms: 4,
				maxMs: 5,
				meanMs: 1.2,
				stdevMs: 0.5,
			},
			histogram: {counts: []},
			errors: {refused: 1, resets: 2, closed: 0, timeouts: 3, other: 0, messageTimeouts: 4},
		},
		{schedule: 'closed-loop', ratePerSec: 100, timeoutMs: 10_000, warmupS: 2},
	);
	assert.match(text, /late +4 messages without a reply within 10s/);
	assert.match(text, /closed loop: each round trip timed from its send/);
	assert.match(text, /p50 +p90 +p99 +p99\.9 +max +mean +stdev/);
	assert.match(text, /refused 1 {2}resets 2 {2}closed 0 {2}timeouts 3/);
	assert.match(text, /2\.0K\/s/);
	assert.match(
		text,
		/1000 round trips in 10\.0 s from 5 clients to 127\.0\.0\.1:7000 \(after a 2 s warm-up\)/,
	);
});

/** `clients --target 127.0.0.1:PORT --clients N …`, to its end. */
const runClients = (port: number, clients: number, args: readonly string[]) =>
	run(
		process.execPath,
		[CLI, 'clients', '--target', `127.0.0.1:${port}`, '--clients', String(clients), ...args],
		{timeout: 20_000},
	);

/** A port that refuses: listened on, then closed. */
async function closedPort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as net.AddressInfo;
	await new Promise((resolve) => server.close(resolve));
	return port;
}

test('clients: no connection ever succeeded (every connect refused) ends with status 1 and says so', async () => {
	const port = await closedPort();
	const result = await runClients(port, 2, ['--duration', '0.5', '--json']).catch(
		(error: {code: number; stderr: string; stdout: string}) => error,
	);
	const failed = result as {code?: number; stderr: string};
	assert.equal(failed.code, 1, 'exit status 1, where it was 0');
	assert.match(
		failed.stderr,
		/no connection to 127\.0\.0\.1:\d+ ever succeeded \(refused \d+, timeouts/,
	);
});

test('clients --fixed-rate --timeout-ms: the JSON says which schedule ran, counts late messages, and carries the histogram', async () => {
	// Echoes every line, the second of each connection 400 ms late.
	const echo = await stallingEchoServer(2, 400);
	const {port} = echo.address() as net.AddressInfo;
	const {stdout} = await runClients(port, 2, [
		...['--rate', '20', '--fixed-rate', '--timeout-ms', '200'],
		...['--duration', '1.5', '--json'],
	]).finally(() => echo.close());
	const lines = stdout.trim().split('\n');
	for (const line of lines) assertConforms('clients', JSON.parse(line));
	const {summary} = JSON.parse(lines.at(-1)!) as {
		summary: ClientsSummary & {
			schedule: string;
			messageTimeoutMs: number;
			latency: {samples: number; histogram: {leMs: number; count: number}[]};
		};
	};
	assert.equal(summary.schedule, 'fixed-rate');
	assert.equal(summary.messageTimeoutMs, 200);
	// Each client's second message is 400 ms late: counted (with those due meanwhile, late too).
	assert.ok(summary.errors.messageTimeouts >= 2, String(summary.errors.messageTimeouts));
	assert.ok(summary.latency.samples > 0);
	const first = JSON.parse(lines[0]!) as {schedule: string};
	assert.equal(first.schedule, 'fixed-rate');
	const histogram = summary.latency.histogram;
	assert.ok(histogram.length > 0);
	assert.equal(
		histogram.reduce((sum, bucket) => sum + bucket.count, 0),
		summary.latency.samples,
		'the histogram holds every round trip of the window',
	);
});
