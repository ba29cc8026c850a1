/**
 * bench's report from a row's figures, without running one: the JSON carries the schedule the
 * clients ran and each row's round-trip histogram (named as `clients` names it), the tables say
 * which schedule ran and count the late messages, and the flags of a fixed rate are checked.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {benchSettings, renderBench} from '../source/bench/main.js';
import {parseBenchOptions} from '../source/bench/options.js';
import {toRow, type BenchReport} from '../source/bench/report.js';
import type {RowFigures, RowSpec} from '../source/bench/run-row.js';
import {workload} from '../source/bench/workload.js';
import {EMPTY_SUMMARY, LatencyHistogram} from '../source/metrics/latency.js';
import {UsageError} from '../source/options/values.js';
import {assertConforms} from './helpers/json-schema.js';

function report(flags: Record<string, string | boolean>): BenchReport {
	const options = parseBenchOptions({modes: 'async', clients: '2', workloads: 'echo', ...flags});
	const histogram = new LatencyHistogram();
	for (const micros of [120, 130, 900, 250_000]) histogram.record(micros);
	const figures: RowFigures = {
		generator: 'c',
		messagesPerSec: 100,
		bytesPerSec: 6400,
		roundTrips: 4,
		measuredS: 2,
		rtt: histogram.summary(),
		histogram: {counts: histogram.counts},
		connect: EMPTY_SUMMARY,
		firstReply: EMPTY_SUMMARY,
		allFirstReplyMs: 1.5,
		firstReplies: 2,
		starved: 0,
		errors: {refused: 0, resets: 0, closed: 0, timeouts: 0, other: 0, messageTimeouts: 1},
		peakThreads: 11,
		peakProcesses: 1,
		peakRssBytes: 50_000_000,
		cpuPercent: 3,
		cpuSeconds: 0.06,
		workers: 1,
		loadCpuPercent: 2,
		loadCpuMaxPercent: 2,
		generatorSaturated: false,
		hostCpuPercent: 40,
		listenOverflows: 0,
		backlog: 4096,
	};
	const spec: RowSpec = {
		server: 'async',
		workload: workload('echo', 0, 0),
		clients: 2,
		size: 64,
		depth: 1,
		ratePerSec: options.ratePerSec,
		messageTimeoutMs: options.messageTimeoutMs,
		durationS: 2,
		warmupS: 1,
		backlog: 4096,
	};
	return {
		tool: 'concurrency-top bench',
		scenario: 'matrix',
		command: 'concurrency-top bench',
		at: 1_796_000_000_000,
		startedAt: new Date(1_796_000_000_000).toISOString(),
		environment: {
			node: 'v20',
			machine: null,
			cores: 2,
			fdLimit: 1024,
			memAvailableBytes: null,
			notes: [],
		},
		settings: benchSettings(options),
		rows: [toRow(spec, figures, null, false)],
		skipped: [],
		targets: [],
	};
}

type JsonRow = {
	latency: {samples: number; histogram: {leMs: number; count: number}[]};
	rtt: Record<string, unknown>;
	errors: {messageTimeouts: number};
};

test('bench --json: a row carries its round trips as latency with their histogram, and says the schedule', async () => {
	const fixed = report({fixedRate: true, rate: '50', timeoutMs: '250'});
	const document = JSON.parse(
		await renderBench(fixed, {format: 'json', wide: true, chart: false}),
	) as {
		settings: Record<string, unknown>;
		rows: JsonRow[];
	};
	assertConforms('bench', document);
	assert.equal(document.settings.schedule, 'fixed-rate');
	assert.equal(document.settings.ratePerSec, 50);
	assert.equal(document.settings.messageTimeoutMs, 250);
	const row = document.rows[0]!;
	assert.equal(row.errors.messageTimeouts, 1);
	assert.equal(row.latency.samples, 4);
	// clients' name and shape: the non-empty buckets, lowest first, every sample in one.
	assert.equal(row.latency.histogram.length, 4);
	assert.equal(
		row.latency.histogram.reduce((sum, bucket) => sum + bucket.count, 0),
		row.latency.samples,
	);
	assert.ok(row.latency.histogram[0]!.leMs >= 0.12 && row.latency.histogram[0]!.leMs < 0.125);
	assert.ok(row.latency.histogram.at(-1)!.leMs >= 250);
	assert.ok(!('histogram' in row), 'not beside the row');
	assert.ok(!('histogram' in row.rtt), 'rtt (deprecated) keeps its old keys');

	const closed = JSON.parse(
		await renderBench(report({}), {format: 'json', wide: true, chart: false}),
	) as {settings: Record<string, unknown>};
	assert.equal(closed.settings.schedule, 'closed-loop');
	assert.equal(
		closed.settings.ratePerSec,
		null,
		'no rate: the closed loop sends when replies come',
	);
	assert.equal(closed.settings.messageTimeoutMs, 10_000);
});

test('bench tables say which schedule ran and count the late messages', async () => {
	const fixed = report({fixedRate: true, rate: '50', timeoutMs: '250'});
	const text = (await renderBench(fixed, {format: 'text', wide: true, chart: false})).split('\n');
	assert.ok(
		text.some((line) =>
			line.startsWith(
				'50 msgs/s per client, fixed rate: each round trip timed from when its message was due',
			),
		),
		text.join('\n'),
	);
	assert.ok(text.some((line) => line.includes('late: messages without a reply within 250ms')));
	// The table's cells, as ink-table draws them (bench-report.test.ts checks its frame).
	const cells = (start: string) =>
		text
			.find((line) => line.startsWith(`│ ${start}`))!
			.split('│')
			.slice(1, -1)
			.map((cell) => cell.trim());
	const column = cells('server').indexOf('late');
	assert.ok(column > 0, cells('server').join('|'));
	assert.equal(cells('async')[column], '1');
	const markdown = await renderBench(fixed, {format: 'markdown', wide: true, chart: false});
	assert.match(markdown, /^Measured with .*; 50 msgs\/s per client, fixed rate: /);
	const closed = await renderBench(report({}), {format: 'text', wide: true, chart: false});
	assert.match(closed, /\nclosed loop: each round trip timed from its send/);
});

test('bench --fixed-rate: needs --rate, --rate needs it, the matrix only; each a one-line refusal', () => {
	assert.equal(parseBenchOptions({}).ratePerSec, null);
	assert.equal(parseBenchOptions({fixedRate: true, rate: '2.5'}).ratePerSec, 2.5);
	for (const [flags, message] of [
		[{rate: '5'}, /^bench: --rate N is for --fixed-rate/],
		[{fixedRate: true}, /^bench: --fixed-rate needs --rate N/],
		[{fixedRate: true, rate: '5', scenario: 'storm'}, /--fixed-rate is for the matrix scenario/],
		[{fixedRate: true, rate: '0'}, /^--rate must be .*above 0 and at most 10000/],
		[{timeoutMs: '0'}, /^--timeout-ms must be/],
	] as const) {
		assert.throws(
			() => parseBenchOptions(flags),
			(error: unknown) => error instanceof UsageError && message.test(error.message),
			JSON.stringify(flags),
		);
	}
});
