/**
 * bench's text report: its tables drawn by @alcalzone/ink-table through Ink (source/bench/text-table.ts),
 * from a fixture report (no bench run): the frame, the width, plain text with no escape code, ASCII
 * where the locale has no more, and ink-table loaded only when a table is drawn.
 */
import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';

// Before Ink (and its chalk) is loaded: a terminal that takes every colour. ink-table's own heading
// would be bold blue in it; the report must still carry no escape code.
process.env['FORCE_COLOR'] = '3';
const {toRow} = await import('../source/bench/report.js');
const {formatText} = await import('../source/bench/report.js');
const {renderBench} = await import('../source/bench/main.js');
const {workload} = await import('../source/bench/workload.js');
type BenchReport = import('../source/bench/report.js').BenchReport;
type RowFigures = import('../source/bench/run-row.js').RowFigures;
type RowSpec = import('../source/bench/run-row.js').RowSpec;

const summary = (p50: number, p99: number) => ({
	samples: 1000,
	p50Ms: p50,
	p90Ms: p50 * 2,
	p99Ms: p99,
	p999Ms: p99 * 2,
	maxMs: p99 * 3,
	meanMs: p50 * 1.2,
	stdevMs: p50 / 2,
});

function figures(messagesPerSec: number, more: Partial<RowFigures> = {}): RowFigures {
	return {
		generator: 'c',
		messagesPerSec,
		bytesPerSec: messagesPerSec * 64,
		roundTrips: messagesPerSec * 2,
		measuredS: 2,
		rtt: summary(0.4, 2.5),
		histogram: {counts: []},
		connect: summary(0.1, 0.3),
		firstReply: summary(0.5, 1.5),
		allFirstReplyMs: 12,
		firstReplies: 3,
		starved: 0,
		errors: {refused: 0, resets: 0, closed: 0, timeouts: 0, other: 0, messageTimeouts: 0},
		peakThreads: 11,
		peakProcesses: 1,
		peakRssBytes: 60 * 2 ** 20,
		cpuPercent: 95,
		cpuSeconds: 1.9,
		workers: 1,
		loadCpuPercent: 40,
		loadCpuMaxPercent: 40,
		generatorSaturated: false,
		hostCpuPercent: 70,
		listenOverflows: 0,
		backlog: 511,
		...more,
	};
}

const spec = (server: RowSpec['server'], backlog = 511): RowSpec => ({
	server,
	workload: workload('echo', 1, 5, 8),
	clients: 3,
	size: 64,
	depth: 1,
	ratePerSec: null,
	messageTimeoutMs: 10_000,
	durationS: 2,
	warmupS: 1,
	backlog,
});

const plain = figures(30_000);
const starved = figures(9000, {
	starved: 2,
	allFirstReplyMs: null,
	errors: {refused: 0, resets: 0, closed: 0, timeouts: 2, other: 0, messageTimeouts: 0},
	backlog: 5,
});
const REPORT: BenchReport = {
	tool: 'concurrency-top bench',
	scenario: 'matrix',
	command: 'concurrency-top bench --modes async,sequential --clients 3',
	at: Date.parse('2026-12-07T16:00:00.000Z'),
	startedAt: '2026-12-07T16:00:00.000Z',
	environment: {
		node: 'v20.19.0',
		machine: null,
		cores: 2,
		fdLimit: 1024,
		memAvailableBytes: null,
		notes: [],
	},
	settings: {size: 64, depth: 1, durationS: 2, repeat: 1},
	rows: [
		toRow(spec('plain'), plain, plain, true),
		toRow(spec('async', 4096), figures(28_500, {peakThreads: 7}), plain, false),
		toRow(spec('sequential', 5), starved, plain, false),
	],
	skipped: [],
	targets: [],
};

/** The table's lines: from its top border to its bottom one. */
function tableOf(text: string): string[] {
	const lines = text.split('\n');
	const top = lines.findIndex((line) => line.startsWith('┌'));
	const bottom = lines.findIndex((line) => line.startsWith('└'));
	assert.ok(top >= 0 && bottom > top, `no ink-table frame in:\n${text}`);
	return lines.slice(top, bottom + 1);
}

test("bench's text table is ink-table's: its borders, one rule under the heading, a line per row", async () => {
	const table = tableOf(await formatText(REPORT));
	assert.equal(table.length, REPORT.rows.length + 4, table.join('\n'));
	const [top, heading, rule, ...rest] = table;
	const bottom = rest.pop()!;
	assert.match(top!, /^┌─+(┬─+)+┐$/);
	assert.match(rule!, /^├─+(┼─+)+┤$/);
	assert.match(bottom, /^└─+(┴─+)+┘$/);
	// ink-table's cells: a space each side, left-aligned names, right-aligned figures.
	const cells = (line: string) => line.split('│').slice(1, -1);
	assert.equal(cells(heading!)[0], ' server     ');
	assert.deepEqual(
		rest.map((line) => cells(line)[0]),
		[' plain      ', ' async      ', ' sequential '],
	);
	const msgs = cells(heading!).findIndex((cell) => cell.trim() === 'msgs/s');
	assert.deepEqual(
		rest.map((line) => cells(line)[msgs]),
		['  30000 ', '  28500 ', '   9000 '],
	);
	// Every line of the frame as wide as the others, every column of the report present.
	assert.equal(new Set(table.map((line) => line.length)).size, 1);
	assert.equal(cells(heading!).length, 33);
	assert.match(rest[2]!, /│ 2 of 3 clients starved; 0\.30× plain msgs\/s from those served │$/);
});

test('at 80 columns the table keeps its frame: columns dropped by rank, the verdict cut with …', async () => {
	const text = await formatText(REPORT, 80);
	assert.match(text, /not shown for the terminal's width: work, load, MB\/s, p50, .*, backlog;/);
	const table = tableOf(text);
	// The verdict takes what the other columns leave: the frame is the terminal's width.
	for (const line of table) assert.equal(line.length, 80, line);
	assert.match(table[1]!, /^│ server +│ clients │ msgs\/s │ ×plain │ +p99 │ verdict +│$/);
	assert.match(table.at(-2)!, /│ 2 of 3 clients starved; 0\.… │$/);
});

test('the text report has no escape code, even where every colour is taken (FORCE_COLOR)', async () => {
	const {renderToString, Text} = await import('#ink');
	const {createElement} = await import('react');
	// The check means something only if Ink would style here.
	assert.ok(renderToString(createElement(Text, {bold: true}, 'x')).includes('\u001B[1m'));
	const text = await renderBench(REPORT, {format: 'text', wide: true, chart: false}, true);
	assert.ok(!text.includes('\u001B'), JSON.stringify(text.slice(0, 400)));
	tableOf(text);
});

test('in a terminal or locale without Unicode (LANG=C) the report is ASCII, its frame +-|', async () => {
	const text = await renderBench(REPORT, {format: 'text', wide: true, chart: true}, false);
	const beyond = [...text].filter((char) => char !== '\n' && (char < ' ' || char > '~'));
	assert.deepEqual(beyond, []);
	const lines = text.split('\n');
	const top = lines.findIndex((line) => line.startsWith('+-'));
	assert.match(lines[top]!, /^\+-+(\+-+)+\+$/);
	assert.match(lines[top + 1]!, /^\| server +\| work +\|.*\| xplain \|/);
	assert.match(lines[top + 2]!, /^\+-+(\+-+)+\+$/);
	assert.match(lines[top + 3]!, /^\| plain +\|/);
});

test("bench's memory table is drawn by ink-table too", async () => {
	const report: BenchReport = {
		...REPORT,
		scenario: 'memory',
		rows: [],
		extra: {
			memory: [
				{
					server: 'async',
					connections: 100,
					served: 100,
					baseRssBytes: 50e6,
					loadedRssBytes: 52e6,
					bytesPerConnection: 20e3,
				},
				{
					server: 'thread',
					connections: 100,
					served: 100,
					baseRssBytes: 50e6,
					loadedRssBytes: 90e6,
					bytesPerConnection: 400e3,
				},
			],
		},
	};
	const table = tableOf(
		await renderBench(report, {format: 'text', wide: false, chart: false}, true),
	);
	assert.equal(table.length, 6, table.join('\n'));
	assert.match(
		table[1]!,
		/^│ server │ connections │ served │ RSS idle │ RSS loaded │ per connection │$/,
	);
	assert.match(table[4]!, /^│ thread │ +100 │ +100 │ .+ │ .+ │ +\S+ │$/);
});

const APP = fileURLToPath(new URL('../app', import.meta.url));

/** The files of dist/app that `file` loads when it loads (static imports, not import()). */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
	if (seen.has(file)) return seen;
	seen.add(file);
	const code = readFileSync(path.join(APP, file), 'utf8');
	for (const match of code.matchAll(/(?:from|import)\s*"\.\/([^"]+\.js)"/g))
		staticClosure(match[1]!, seen);
	return seen;
}

test('ink-table is bundled for the bench report and loaded only when a table is drawn', () => {
	const source = readFileSync(
		fileURLToPath(new URL('../../source/bench/report-table.tsx', import.meta.url)),
		'utf8',
	);
	assert.match(source, /^import \{Table, type CellProps\} from '@alcalzone\/ink-table';$/m);
	const files = readdirSync(APP).filter((name) => name.endsWith('.js'));
	// ink-table's row builder keys its separators `<row>-hseparator-<i>`.
	const withTable = files.filter((name) =>
		readFileSync(path.join(APP, name), 'utf8').includes('-hseparator-'),
	);
	assert.equal(withTable.length, 1, withTable.join(', '));
	const bench = files.find((name) =>
		readFileSync(path.join(APP, name), 'utf8').includes('concurrency-top bench: '),
	);
	assert.ok(bench, 'the bench chunk');
	// Not with the program's start, nor with bench itself (bench --json draws no table).
	for (const entry of ['main.js', bench]) {
		const loaded = staticClosure(entry);
		assert.ok(!loaded.has(withTable[0]!), `${entry} loads ${withTable[0]} at once`);
	}
	assert.match(
		readFileSync(path.join(APP, bench), 'utf8'),
		new RegExp(`import\\("\\./${withTable[0]!.replace('.', '\\.')}"\\)`),
	);
});
