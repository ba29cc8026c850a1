import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {planRows, rowCost, type RowPlan} from '../source/compare/budget.js';
import {bestColumns, firstReplyFigures, toCompareJson} from '../source/compare/figures.js';
import {markdownLines, shortfallLines, tableLines} from '../source/compare/layout.js';
import {parseCompareOptions, type CompareFlags} from '../source/compare/options.js';
import {parseCommandLine} from '../source/options/command-line.js';
import {COMMANDS} from '../source/commands/registry.js';
import {compareScreen, CompareView} from '../source/compare/view.js';
import {formatFinal} from '../source/compare/report.js';
import {UsageError} from '../source/options/values.js';
import {EIGHT_ROWS} from './compare-fixture.js';

const FRAME_80x24 = [
	'compare 8 servers · 14 clients each × 2/s · work 0ms · delay 0ms · pool 10',
	'  server     msg/s     p50     p99     1st  wait   thr  prc    RSS   CPU  trend',
	// Sequential and pool leave clients without a reply: best in nothing they would count in.
	// The trend: one scale for every row.
	'  sequential     2  0.40ms   1.2ms   >9.8s    13    11    1    50M    1%  ▅▅▅▆▆▆',
	'› async         28* 0.50ms*  2.2ms*   13ms*    0    11*   1*   60M*   2%* ▁▁▂▂▃▄',
	'  thread        28* 0.60ms   3.2ms    1.5s     0    25    1*   70M    3%  ▅▆▇██▁',
	'  pool          20  0.70ms   4.2ms    15ms     4    21    1    80M    4%  ▁▂▃▄▅▇',
	'  process       28* 0.80ms   5.2ms    2.2s     0    11*  15   640M    5%  ▅▆█▁▂▄',
	' !reactor       28* 0.90ms   6.2ms    17ms     0    11*   1*  100M    6%  ▁▂▄▆█▁',
	'  hybrid        28*  1.0ms   7.2ms    18ms     0    11*   1*  110M    7%  ▅▇▁▃▅▇',
	'  cluster       28*  1.1ms   8.2ms    19ms     0    11*   3   120M    8%  ▁▃▅█▂▄',
	'',
	'  tutorial    scalability     complexity best for',
	'  sequential ~One at a time   Low        Its issue: others wait',
	'  async       High (1000s+)   Medium     I/O-bound, many connections',
	'  thread      Medium (~100s)  Low        I/O-bound, simple code',
	'  pool       ~Fixed (workers) Low        Better resource management',
	'  process     Medium          Medium     CPU-bound, isolation needed',
	'  reactor     High            High       Cross-platform, control needed',
	'  hybrid     ~min(50,cpus+4)  Low        No resource exhaustion',
	'  cluster     not in tutorial',
	"* best  ~ tutorial's text, not table  ! load generator at its limit: reactor",
	'sequential: 13/14 unanswered, no * but msg/s',
	'pool: 4/14 unanswered, no * but msg/s',
	'c/C x/X clients  w/W work  d/D delay  r storm  ↑↓ Enter dashboard  q quit',
];

const OPTIONS = {columns: 80, rows: 24, selected: 1, ascii: false} as const;

test('compare at 80x24 with eight rows: the exact frame', () => {
	assert.deepEqual(compareScreen(EIGHT_ROWS, OPTIONS), FRAME_80x24);
});

test('the Ink view draws the same frame, every line within 80 columns', () => {
	const {lastFrame, unmount} = render(<CompareView snapshot={EIGHT_ROWS} {...OPTIONS} />);
	const lines = lastFrame()!.split('\n');
	unmount();
	assert.deepEqual(
		lines.map((line) => line.trimEnd()),
		FRAME_80x24,
	);
	for (const line of lines) assert.ok([...line].length <= 80, line);
});

test('wider terminals show the load column and the tutorial beside the figures', () => {
	const wide = compareScreen(EIGHT_ROWS, {...OPTIONS, columns: 170});
	assert.match(wide[1]!, /CPU {2}load {2}msg\/s, last minute +scalability +complexity best for$/);
	assert.match(
		wide[3]!,
		/^› async .* 2% +▁.* High \(1000s\+\) +Medium +I\/O-bound, many connections$/,
	);
	assert.equal(wide.length, 24);
	assert.ok(!wide.some((line) => line.startsWith('  tutorial')), 'no separate block');
});

test('a narrow terminal shows fewer columns, each line within its width', () => {
	const narrow = compareScreen(EIGHT_ROWS, {...OPTIONS, columns: 60});
	assert.equal(narrow[1], '  server     msg/s     p99     1st  wait   thr   CPU  trend');
	assert.equal(narrow[3], '› async         28*  2.2ms*   13ms*    0    11*   2%* ▁▁▂▂▃▄');
	for (const line of narrow) assert.ok([...line].length <= 60, line);
});

test('a short terminal keeps the table and the keys, and drops the tutorial block', () => {
	const short = compareScreen(EIGHT_ROWS, {...OPTIONS, rows: 12});
	assert.equal(short.length, 12);
	assert.equal(short[9], FRAME_80x24[9]);
	assert.equal(short.at(-1), FRAME_80x24.at(-1));
});

test('best marks: the best of each column, none where all rows agree', () => {
	const marks = bestColumns(EIGHT_ROWS.rows);
	assert.ok(marks[1]!.has('slowestFirstReplyMs'), 'async answered everyone first');
	assert.ok(marks[1]!.has('rssBytes'));
	assert.ok(!marks[0]!.has('rssBytes'), 'sequential keeps 13 waiting: its RSS leaves them out');
	assert.ok(!marks[0]!.has('messagesPerSec'));
	const same = EIGHT_ROWS.rows.map((row) => ({...row, osThreads: 11}));
	assert.ok(bestColumns(same).every((set) => !set.has('osThreads')));
	assert.ok(bestColumns(EIGHT_ROWS.rows.slice(0, 1)).every((set) => set.size === 0));
});

test('markdown: every column, the best in bold, text-derived opinions marked', () => {
	const lines = markdownLines(EIGHT_ROWS);
	assert.equal(lines.length, 10);
	assert.match(
		lines[0]!,
		/^\| server \| msg\/s \| p50 .* \| load \| scalability \| complexity \| best for \|$/,
	);
	assert.match(lines[3]!, /^\| async \| \*\*28\*\* \|/);
	assert.match(lines[2]!, /\| ~One at a time \|/);
	assert.match(lines[7]!, /^\| reactor ! \|/);
});

test('markdown: a row that leaves clients out says it has no best mark, as bold is the mark there', () => {
	const summary = {
		at: EIGHT_ROWS.at,
		startedAt: EIGHT_ROWS.at,
		windowStart: null,
		seconds: 0,
		startupS: 0,
		snapshot: EIGHT_ROWS,
		latency: {},
	};
	const markdown = formatFinal(summary, 'markdown', 'concurrency-top compare').split('\n');
	assert.ok(markdown.some((line) => line.startsWith('**bold** best in its column;')));
	assert.ok(
		markdown.includes('sequential: 13/14 unanswered, no best mark but msg/s'),
		markdown.join('\n'),
	);
	assert.ok(markdown.includes('pool: 4/14 unanswered, no best mark but msg/s'));
	assert.ok(!markdown.some((line) => line.includes('no *')), 'no `*` where bold marks the best');
	// The text report keeps its mark, `*`, in both places.
	const text = formatFinal(summary, 'text', 'concurrency-top compare').split('\n');
	assert.ok(text.includes('pool: 4/14 unanswered, no * but msg/s'));
});

const COMPARE = COMMANDS.find((command) => command.name === 'compare')!;
/** As the program does it: the one command-line parser, then compare's own checks. */
const parse = (args: readonly string[], isTTY = true) =>
	parseCompareOptions(parseCommandLine(COMPARE, args).values as CompareFlags, isTTY);

const cost = {poolSize: 10, cores: 2};
const model = (mode: 'async' | 'thread' | 'process'): RowPlan => ({
	kind: 'model',
	name: mode,
	mode,
});

test('the budget: rows that would not fit are left out, saying what they need', () => {
	const plans = [model('async'), model('process'), model('thread')];
	assert.ok(rowCost(model('process'), 14, cost) > rowCost(model('thread'), 14, cost));
	const budget = rowCost(model('async'), 14, cost) + rowCost(model('thread'), 14, cost);
	const {start, leftOut} = planRows(plans, 14, budget, cost);
	assert.deepEqual(
		start.map((plan) => plan.name),
		['async', 'thread'],
	);
	assert.equal(leftOut.length, 1);
	assert.match(
		leftOut[0]!.reason,
		/^needs \d+(\.\d)?[MG] for 14 clients, \d+M of the \d+M budget left$/,
	);
});

for (const [args, message] of [
	[
		['--modes', 'async,forking'],
		/--modes is a comma-separated list of sequential, .* \(got "forking"\)/,
	],
	[['--target', 'py'], /--target takes NAME=HOST:PORT, comma-separated/],
	[['--target', 'async=127.0.0.1:9'], /--target name "async" is taken/],
	[['--markdown'], /--markdown prints the final table: give --duration S too/],
	[['--json', '--markdown', '--duration', '1'], /choose --json or --markdown/],
	[['--duration', '0'], /--duration must be a number from 1/],
	[['--clients', 'many'], /--clients must be a whole number/],
	[
		['--frobnicate'],
		/^--frobnicate is not a flag of compare; its flags are --modes, --target, .*, --help, --version; see concurrency-top compare --help$/,
	],
] as const) {
	test(`compare ${args.join(' ')}: a usage error naming the flag`, () => {
		assert.throws(
			() => parse(args),
			(error: unknown) => {
				assert.ok(error instanceof UsageError);
				assert.match(error.message, message);
				return true;
			},
		);
	});
}

test('compare defaults: every model, 10 clients, servers on port 0 in processes of their own', () => {
	const options = parse([]);
	assert.equal(options.modes.length, 8);
	assert.equal(options.base.clients, 10);
	assert.equal(options.base.port, 0);
	assert.equal(options.base.placement, 'worker');
	assert.equal(options.format, 'live');
	assert.equal(parse([], false).format, 'json');
	assert.equal(parse(['--duration', '3'], false).format, 'text');
	const targets = parse(['--target', 'py-pool=127.0.0.1:9001,go=[::1]:9002']);
	assert.deepEqual(targets.modes, []);
	assert.deepEqual(targets.targets, [
		{name: 'py-pool', host: '127.0.0.1', port: 9001},
		{name: 'go', host: '::1', port: 9002},
	]);
});

/** The thread row at --clients 200: 128 threads, the other 72 clients refused over and over. */
function cappedThread() {
	const thread = EIGHT_ROWS.rows[2]!;
	assert.equal(thread.name, 'thread');
	const first = firstReplyFigures(200, 128, 19_000, null);
	return {
		...thread,
		clients: {total: 200, connected: 128, waiting: 0, answered: 128, unanswered: first.unanswered},
		slowestFirstReplyMs: first.slowestFirstReplyMs,
		firstReplyPending: first.firstReplyPending,
		p50Ms: 0.1,
		p99Ms: 0.2,
		osThreads: 9,
		cap: '128 threads',
		refusedTotal: 1234,
	};
}

test('compare: a row that refuses clients at its cap shows them, its cap and its refusals, and gets no star they would count in', () => {
	const rows = EIGHT_ROWS.rows.map((row) => (row.name === 'thread' ? cappedThread() : row));
	const snapshot = {...EIGHT_ROWS, rows};
	const thread = rows[2]!;
	// The refused clients have no connection: no `waiting`, yet still without a reply.
	assert.equal(thread.clients.unanswered, 72);
	assert.equal(thread.firstReplyPending, true, '1st is marked as still waiting');
	const line = tableLines(snapshot, {width: 80, selected: -1, bars: ['_', '#'], pointer: '>'})[3]!;
	assert.match(line, /^ {2}thread .* >19s +72 /, line);
	assert.deepEqual(line.match(/\S+\*/g), ['28*'], 'no best mark on the capped row but msg/s');
	const marks = bestColumns(rows);
	for (const column of ['p50Ms', 'p99Ms', 'waiting', 'slowestFirstReplyMs', 'osThreads'] as const)
		assert.ok(!marks[2]!.has(column), column);
	assert.deepEqual(
		shortfallLines(snapshot).filter((text) => text.startsWith('thread')),
		['thread: 72/200 unanswered, no * but msg/s; cap 128 threads; 1.2k refused'],
	);
	assert.ok(compareScreen(snapshot, OPTIONS).some((text) => text.startsWith('thread: 72/200')));
	const json = toCompareJson(snapshot) as {
		rows: {name: string; cap: string; refusedTotal: number; clients: {unanswered: number}}[];
	};
	const threadJson = json.rows.find((row) => row.name === 'thread')!;
	assert.equal(threadJson.cap, '128 threads');
	assert.equal(threadJson.refusedTotal, 1234);
	assert.equal(threadJson.clients.unanswered, 72);
});

test('compare: the trend bars of every row share one scale', () => {
	const quiet = {...EIGHT_ROWS.rows[0]!, history: [2, 2, 2, 2, 2, 2]};
	const busy = {...EIGHT_ROWS.rows[1]!, history: [28, 28, 28, 28, 28, 28]};
	const lines = tableLines(
		{...EIGHT_ROWS, rows: [quiet, busy]},
		{width: 80, selected: -1, bars: ['1', '2', '3', '4', '5', '6', '7', '8'], pointer: '>'},
	);
	assert.match(lines[1]!, / 111111$/, 'sequential at 2 msg/s: the lowest bar');
	assert.match(lines[2]!, / 888888$/, 'async at 28: the highest');
});

test('compare: a server not responding is said while it lasts, and no longer once it answers again', () => {
	const stalled = EIGHT_ROWS.rows.map((row) =>
		row.name === 'async' ? {...row, notRespondingMs: 4000} : row,
	);
	assert.ok(
		shortfallLines({...EIGHT_ROWS, rows: stalled}).includes(
			'async: server process not responding for 4.0s',
		),
	);
	// Recovered: the snapshot says null, and the line is gone (it stayed as a note before).
	assert.ok(!shortfallLines(EIGHT_ROWS).some((line) => /not responding/.test(line)));
});
