import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {Dashboard, layoutFor} from '../source/ui/layout.js';
import {SEQUENTIAL_SNAPSHOT} from './helpers/snapshots.js';

// Issue 27, point 13: under 80x24 the screen shows what fits, as htop does, instead of only saying
// it needs 80x24: the connections first, then Concurrency, Traffic and Queue as the width allows.

function frame(columns: number, rows: number, view?: 'processes' | 'events'): string[] {
	const {lastFrame, unmount} = render(
		<Dashboard snapshot={SEQUENTIAL_SNAPSHOT} columns={columns} rows={rows} view={view} />,
	);
	const lines = lastFrame()!.split('\n');
	unmount();
	return lines;
}

test('at 60x20: Traffic and Concurrency, the connections with their peers whole, the keys', () => {
	const lines = frame(60, 20);
	assert.equal(lines.length, 20);
	assert.ok(
		lines.every((line) => line.length <= 60),
		lines.join('\n'),
	);
	const text = lines.join('\n');
	assert.match(lines[1]!, /^╭─ Traffic ─+╮╭─ Concurrency ─+╮$/);
	assert.doesNotMatch(text, /Queue/);
	assert.match(text, /OS threads +11│/);
	// The columns that say least are left out; each peer is whole.
	assert.match(text, /ID▼ PEER +STATE +BY +IN +OUT │/);
	for (const peer of ['127.0.0.1:50110', '127.0.0.1:50112', '[::1]:50114'])
		assert.match(text, new RegExp(peer.replaceAll(/[.[\]]/g, '\\$&')));
	assert.match(text, /1-3 of 3/);
	assert.match(lines.at(-1)!, /^c\/C add/);
	assert.doesNotMatch(text, /needs/);
});

test('at 80x24 nothing is left out', () => {
	const layout = layoutFor(80, 24);
	assert.deepEqual(
		[layout.trafficWidth, layout.sideWidth, layout.queueWidth, layout.topHeight],
		[34, 23, 23, 7],
	);
	assert.match(frame(80, 24).join('\n'), /MSGS +RTT +AGE/);
});

test('at 50x12 the top panels give way to the connections; below 40x8 the screen says what it needs', () => {
	const lines = frame(50, 12);
	assert.equal(lines.length, 12);
	assert.match(lines[1]!, /^╭─ Connections 1 active/);
	assert.match(lines.join('\n'), /#4 127\.0\.0\.1:50110/);
	const narrowest = frame(40, 8);
	assert.ok(
		narrowest.every((line) => line.length <= 40),
		narrowest.join('\n'),
	);
	assert.match(narrowest.join('\n'), /ID▼ PEER +STATE +BY/);
	const small = frame(39, 8).join('\n');
	assert.match(small, /needs 40x8/);
	assert.match(small, /this window is 39x8/);
});

test('at 60x20 the threads and events views draw in what there is', () => {
	for (const view of ['processes', 'events'] as const) {
		const lines = frame(60, 20, view);
		assert.equal(lines.length, 20, view);
		assert.ok(
			lines.every((line) => line.length <= 60),
			lines.join('\n'),
		);
	}
});
