import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {Dashboard} from '../source/ui/layout.js';
import {ASCII_GLYPHS, GlyphsContext} from '../source/ui/glyphs.js';
import {KEY_HELP} from '../source/ui/keys.js';
import {SEQUENTIAL_SNAPSHOT} from './helpers/snapshots.js';

function frame(element: React.JSX.Element): string {
	const {lastFrame, unmount} = render(element);
	const text = lastFrame()!;
	unmount();
	return text;
}

test('the dashboard at 80x24 from a fixture snapshot', () => {
	const expected = [
		' concurrency-top  sequential  127.0.0.1:8080  echo  clients 3 (2 waiting)',
		'╭─ Traffic ──────────────────────╮╭─ Concurrency ───────╮╭─ Queue ─────────────╮',
		'│lines/s in    10 out    10      ││server   4242 in-proc││wait line           2│',
		'│recv/s  in    10 B/s  170B/170B ││OS threads         11││pool queue          0│',
		'│rtt    p50 0.42ms p99  1.3ms    ││worker thr          0││kernel accept q     0│',
		'│work 0ms  delay 0ms  per msg    ││processes           1││output q        0m 0B│',
		'│                 ▁▅███ peak 10/s││rss cpu        80M 3%││longest wait      15s│',
		'╰────────────────────────────────╯╰─────────────────────╯╰─────────────────────╯',
		'╭─ Connections 1 active · 2 queued ────────────────────────────────────────────╮',
		'│   ID▼ PEER                STATE  BY             IN   OUT  MSGS    RTT    AGE │',
		'│    #4 127.0.0.1:50110     active main         2.0K  2.0K   120 0.42ms    12s │',
		'│    #5 127.0.0.1:50112     queued (line)         0B    0B     0      -   9.1s │',
		'│    #6 [::1]:50114         queued (line)         0B    0B     0      -   4.0s │',
		'│                                                                              │',
		'│                                                                              │',
		'│                                                                              │',
		'│                                                                              │',
		'│                                                                              │',
		'│                                                                              │',
		'│                                                                              │',
		'│                                                                              │',
		'│1-3 of 3                                                                      │',
		'╰──────────────────────────────────────────────────────────────────────────────╯',
		'c/C add x/X drop 1-8 model p place ? help q quit       host cpu 12% mem 4.0G/24G',
	].join('\n');
	assert.equal(
		frame(<Dashboard snapshot={SEQUENTIAL_SNAPSHOT} columns={80} rows={24} />),
		expected,
	);
});

// ink-testing-library's terminal is 100 columns wide: wider layouts are tested in a pty (e2e).
test('a larger window shows more rows and wider panels', () => {
	const lines = frame(<Dashboard snapshot={SEQUENTIAL_SNAPSHOT} columns={100} rows={40} />).split(
		'\n',
	);
	assert.equal(lines.length, 40);
	assert.ok(lines.every((line) => line.length <= 100));
	assert.match(lines[8]!, /^╭─ Connections 1 active · 2 queued ─+╮$/);
	assert.equal(lines[8]!.length, 100);
	assert.match(lines[38]!, /^╰─+╯$/);
});

test('the help overlay lists every key', () => {
	const text = frame(
		<Dashboard snapshot={SEQUENTIAL_SNAPSHOT} columns={80} rows={24} view="help" />,
	);
	for (const [keys, what] of KEY_HELP) {
		assert.ok(text.includes(keys) && text.includes(what), `help lists ${keys}: ${what}`);
	}
});

test('ASCII glyphs: no box or block characters at all', () => {
	const text = frame(
		<GlyphsContext.Provider value={ASCII_GLYPHS}>
			<Dashboard snapshot={SEQUENTIAL_SNAPSHOT} columns={80} rows={24} />
		</GlyphsContext.Provider>,
	);
	assert.match(text, /^\+- Traffic -+\+/m);
	assert.doesNotMatch(text, /[^\x20-\x7e\n]/, 'only printable ASCII');
});

test('sorted by another column, the header marks it; a filter shows in the footer', () => {
	const snapshot = {
		...SEQUENTIAL_SNAPSHOT,
		connections: {
			...SEQUENTIAL_SNAPSHOT.connections,
			sort: 'rtt' as const,
			filter: 'queued',
			matching: 2,
			rows: SEQUENTIAL_SNAPSHOT.connections.rows.filter((row) => row.state === 'queued'),
		},
	};
	const text = frame(<Dashboard snapshot={snapshot} columns={80} rows={24} />);
	assert.match(text, /│ +ID PEER +STATE +BY +IN +OUT +MSGS +RTT▼ +AGE │/);
	assert.match(text, /1-2 of 2 · filter "queued" matches 2 of 3/);
	assert.doesNotMatch(text, /#4 /);
});

test('the events view lists the latest events, newest last, errors marked', () => {
	const snapshot = {
		...SEQUENTIAL_SNAPSHOT,
		events: [
			{
				at: SEQUENTIAL_SNAPSHOT.at,
				level: 'info' as const,
				text: '#5 127.0.0.1:50112 connected, queued',
			},
			{
				at: SEQUENTIAL_SNAPSHOT.at,
				level: 'error' as const,
				text: 'test-client process ended (SIGKILL)',
			},
		],
	};
	const lines = frame(<Dashboard snapshot={snapshot} columns={80} rows={24} view="events" />).split(
		'\n',
	);
	assert.match(lines[8]!, /^╭─ Events ─+╮$/);
	assert.match(lines[9]!, /^│\d\d:\d\d:\d\d #5 127\.0\.0\.1:50112 connected, queued +│$/);
	assert.match(lines[10]!, /^│\d\d:\d\d:\d\d test-client process ended \(SIGKILL\) +│$/);
});

test('below the minimum size it says what it needs', () => {
	assert.equal(
		frame(<Dashboard snapshot={SEQUENTIAL_SNAPSHOT} columns={39} rows={20} />),
		'concurrency-top needs 40x8\nthis window is 39x20',
	);
});
