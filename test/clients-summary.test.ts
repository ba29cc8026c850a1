import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import net from 'node:net';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import type {ClientsSummary, ClientsView} from '../source/clients/meter.js';
import {formatClientsSummary} from '../source/clients/summary.js';

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
			errors: {refused: 1, resets: 2, closed: 0, timeouts: 3, other: 0},
		},
		2,
	);
	assert.match(text, /p50 +p90 +p99 +p99\.9 +max +mean +stdev/);
	assert.match(text, /refused 1 {2}resets 2 {2}closed 0 {2}timeouts 3/);
	assert.match(text, /2\.0K\/s/);
	assert.match(
		text,
		/1000 round trips in 10\.0 s from 5 clients to 127\.0\.0\.1:7000 \(after a 2 s warm-up\)/,
	);
});
