import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {Controller} from '../source/live/controller.js';
import type {EventLine, Snapshot} from '../source/metrics/snapshot.js';
import {parseOptions} from '../source/options/options.js';
import {EventsPanel, wrapText} from '../source/ui/panels/events.js';
import {Dashboard, layoutFor} from '../source/ui/layout.js';
import {INITIAL_VIEW_STATE, reduce, roomFor} from '../source/ui/view-state.js';
import {waitFor} from './helpers/net.js';
import {SEQUENTIAL_SNAPSHOT} from './helpers/snapshots.js';

// Issue 27, point 9: the event log scrolls; an event is shown whole (wrapped under itself), never
// cut with "…"; a model switch does not log the threads it ends as failures.

function frame(element: React.JSX.Element): string {
	const {lastFrame, unmount} = render(element);
	const text = lastFrame()!;
	unmount();
	return text;
}

const AT = new Date(2026, 0, 1, 12, 0, 0).getTime();
const event = (index: number, text = `event number ${index}`): EventLine => ({
	at: AT + index * 1000,
	level: 'info',
	text,
});

test('wrapText breaks at spaces, inside a word only when the word alone is wider', () => {
	assert.deepEqual(wrapText('#4 127.0.0.1:50110 connected, thread#3', 20), [
		'#4 127.0.0.1:50110',
		'connected, thread#3',
	]);
	assert.deepEqual(wrapText('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
	assert.deepEqual(wrapText('short', 20), ['short']);
	assert.deepEqual(wrapText('', 20), ['']);
	// A wide character takes two columns.
	assert.deepEqual(wrapText('日本語テキスト', 6), ['日本語', 'テキス', 'ト']);
});

test('beside the connections at 120 columns, an event wider than the panel wraps instead of being cut', () => {
	const events = [
		event(1, '#4 127.0.0.1:50110 connected, thread#3'),
		event(2, 'switching thread → pool'),
	];
	// At 120 columns the event log beside the table is 31 wide (layout.besideWidth).
	const width = layoutFor(120, 30).besideWidth;
	assert.equal(width, 31);
	const text = frame(<EventsPanel events={events} width={width} height={8} />);
	assert.doesNotMatch(text, /…/);
	assert.match(text, /12:00:01 #4 127\.0\.0\.1:50110/);
	assert.match(text, /│ {9}connected, thread#3 +│/);
	assert.match(text, /12:00:02 switching thread →  +│\n│ {9}pool +│/);
});

test('the events view scrolls with the scroll keys and follows the newest again at the bottom', () => {
	const snapshot: Snapshot = {
		...SEQUENTIAL_SNAPSHOT,
		events: Array.from({length: 40}, (_, index) => event(index)),
	};
	const rows = layoutFor(80, 24).connectionRows;
	const room = roomFor(snapshot, rows);
	let state = reduce(INITIAL_VIEW_STATE, {type: 'toggle-view', view: 'events'});
	const draw = () =>
		frame(
			<Dashboard
				snapshot={snapshot}
				columns={80}
				rows={24}
				view="events"
				eventsOffset={state.eventsOffset}
			/>,
		);
	assert.match(draw(), /event number 39/);
	assert.doesNotMatch(draw(), /event number 20\b/);
	state = reduce(state, {type: 'scroll', to: 'page-up', room});
	state = reduce(state, {type: 'scroll', to: 'page-up', room});
	const back = draw();
	assert.doesNotMatch(back, /event number 39/);
	assert.match(back, /newer below \(G latest\)/);
	state = reduce(state, {type: 'scroll', to: 'top', room});
	assert.equal(state.eventsOffset, 0);
	assert.match(draw(), /event number 0\b/);
	state = reduce(state, {type: 'scroll', to: 'bottom', room});
	assert.equal(state.eventsOffset, undefined, 'follows the newest again');
	assert.match(draw(), /event number 39/);
});

test('a model switch logs the threads it ends as stopped, not as `ended (exit 1)`', async () => {
	const controller = new Controller(parseOptions({mode: 'thread', port: '0', clients: '0'}), {
		tickMs: 100,
		rollMs: 500,
		procMs: 500,
		hostMs: 5000,
	});
	await controller.start();
	try {
		// The thread model starts spare threads ahead of need.
		await waitFor(
			() => controller.snapshot.events.some((line) => /thread #\d+ started/.test(line.text)),
			'a spare thread started',
			8000,
		);
		await controller.dispatch({type: 'next-mode'});
		const texts = controller.snapshot.events.map((line) => line.text);
		const ended = texts.filter((text) => /^thread #\d+ ended/.test(text));
		assert.ok(ended.length > 0, texts.join('\n'));
		for (const text of ended) assert.match(text, /ended \(stopped\)$/);
		assert.ok(!texts.some((text) => /exit 1/.test(text)), texts.join('\n'));
	} finally {
		await controller.stop();
	}
});
