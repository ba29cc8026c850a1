/**
 * The dashboard's view state without a terminal: keys in, state and effects out. Keys are fed one
 * after another to the latest state, as the App does with keys that arrive in one chunk.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {Snapshot} from '../source/metrics/snapshot.js';
import type {KeyPress} from '../source/terminal/index.js';
import {
	INITIAL_VIEW_STATE,
	meaningOf,
	reduce,
	roomFor,
	type Effect,
	type KeyContext,
	type ViewState,
} from '../source/ui/view-state.js';
import {SEQUENTIAL_SNAPSHOT} from './helpers/snapshots.js';

/** 30 connections, 11 rows on screen (page 10, last offset 19); 5 lines of threads beyond the room. */
const CONTEXT: KeyContext = {
	room: {page: 10, lastConnection: 19, lastProcess: 5, lastEvent: 0},
	shown: SEQUENTIAL_SNAPSHOT,
};

/** A key press as the terminal layer reads it: a character, a named key, or `^c`-style Ctrl. */
function key(text: string): KeyPress {
	if (text.startsWith('^')) return {kind: 'ctrl', letter: text.slice(1)};
	if (text.length > 1) return {kind: 'key', name: text as Extract<KeyPress, {kind: 'key'}>['name']};
	return {kind: 'text', text};
}

/** Presses `keys` in one batch: each sees the state the one before left. */
function press(
	keys: readonly string[],
	from: ViewState = INITIAL_VIEW_STATE,
	context: KeyContext = CONTEXT,
): {state: ViewState; effects: Effect[]} {
	let state = from;
	const effects: Effect[] = [];
	for (const name of keys) {
		const {change, effect} = meaningOf(state, key(name), context);
		if (change) state = reduce(state, change);
		if (effect) effects.push(effect);
	}
	return {state, effects};
}

const typed = (text: string) => [...text];

test('scroll keys move the connection list a row, a page, to either end, and stop there', () => {
	assert.equal(press(typed('jjjjjjjjjj')).state.offset, 10);
	assert.equal(press([...typed('jjjjjjjjjj'), ...typed('kkk')]).state.offset, 7);
	assert.equal(press(['page-down']).state.offset, 10);
	assert.equal(press(['page-down', 'page-down', 'page-down']).state.offset, 19);
	assert.equal(press(['page-down', 'down', 'page-up']).state.offset, 1);
	assert.equal(press(['G']).state.offset, 19);
	assert.equal(press(['end', 'up']).state.offset, 18);
	assert.equal(press(['G', 'g']).state.offset, 0);
	assert.equal(press(['G', 'home']).state.offset, 0);
	// Clamped at both ends: from the bottom one k is one row up, not from beyond the end.
	assert.equal(press(['k', 'k', 'up', 'page-up']).state.offset, 0);
	assert.equal(press([...typed('G'), ...typed('jjj'), 'k']).state.offset, 18);
	assert.deepEqual(press(typed('jjGk')).effects, []);
});

test('the threads view scrolls its own offset, within its own room, and starts at the top', () => {
	const {state} = press(typed('jjt'));
	assert.equal(state.view, 'processes');
	assert.equal(state.offset, 2, 'the connection list keeps its place');
	assert.equal(state.processesOffset, 0);
	assert.equal(press(typed('jjjj'), state).state.processesOffset, 4);
	assert.equal(press(['page-down'], state).state.processesOffset, 5);
	assert.equal(press(['G', 'k'], state).state.processesOffset, 4);
	assert.equal(press(['G', 'k'], state).state.offset, 2);
	// Leaving and coming back starts the threads at the top again.
	const again = press(['G', 't', 't'], state).state;
	assert.equal(again.view, 'processes');
	assert.equal(again.processesOffset, 0);
});

test('views: e and t toggle in place of the connections, each replacing the other', () => {
	assert.equal(press(['e']).state.view, 'events');
	assert.equal(press(['e', 'e']).state.view, 'connections');
	assert.equal(press(['e', 't']).state.view, 'processes');
	assert.equal(press(['t', 'e', 'e']).state.view, 'connections');
});

test('sort: s steps through every column and back, and starts the list at the top', () => {
	const sorts: string[] = [];
	let state = press(typed('jjj')).state;
	for (let step = 0; step < 7; step++) {
		state = press(['s'], state).state;
		sorts.push(state.sort);
		assert.equal(state.offset, 0);
	}
	assert.deepEqual(sorts, ['state', 'by', 'in', 'out', 'msgs', 'rtt', 'id']);
});

test('filter: keys are text while typing; Enter keeps it, Esc clears it, backspace erases', () => {
	const typing = press([...typed('jj/'), ...typed('q1!Gc')]).state;
	assert.equal(typing.editingFilter, true);
	assert.equal(typing.filter, 'q1!Gc', 'q, 1, !, G and c are text, not keys');
	assert.equal(typing.offset, 0);
	const {state: kept, effects} = press([...typed('/que'), 'backspace', 'e', 'return']);
	assert.deepEqual(effects, []);
	assert.equal(kept.filter, 'que');
	assert.equal(kept.editingFilter, false);
	// Kept, the keys are keys again: j scrolls; Esc then clears the filter and the scroll.
	const scrolledKept = press(['j'], kept).state;
	assert.equal(scrolledKept.offset, 1);
	assert.equal(scrolledKept.filter, 'que');
	const cleared = press(['escape'], scrolledKept);
	assert.deepEqual(cleared.effects, [], 'Esc with a filter clears it and does not go back');
	assert.equal(cleared.state.filter, '');
	assert.equal(cleared.state.offset, 0);
	// Esc while typing drops what was typed.
	assert.equal(press([...typed('/abc'), 'escape']).state.filter, '');
	assert.equal(press([...typed('/abc'), 'escape']).state.editingFilter, false);
	// A paste is text too; the filter stops at its longest.
	const pasted = press(['/'], INITIAL_VIEW_STATE);
	const long = reduce(pasted.state, {type: 'type-filter', text: 'x'.repeat(100)});
	assert.equal(long.filter.length, 40);
	assert.deepEqual(meaningOf(pasted.state, {kind: 'paste', text: 'ab'}, CONTEXT), {
		change: {type: 'type-filter', text: 'ab'},
	});
});

test('help: ? shows it, any key but quit only closes it, quit quits from anywhere', () => {
	const shown = press(['?']).state;
	assert.equal(shown.help, true);
	const closed = press(['c'], shown);
	assert.equal(closed.state.help, false);
	assert.deepEqual(closed.effects, [], 'c closes the help and adds no client');
	assert.equal(press(['j'], shown).state.offset, 0);
	assert.deepEqual(press(['q'], shown).effects, [{type: 'quit'}]);
	assert.deepEqual(press(['^c'], shown).effects, [{type: 'quit'}]);
	assert.deepEqual(press(['/', 'q', '^c']).effects, [{type: 'quit'}], 'Ctrl-C quits while typing');
});

test('keys that act outside the view are effects, in the order pressed; Esc goes back', () => {
	assert.deepEqual(press(typed('cCxX')).effects, [
		{type: 'action', action: {type: 'add-clients', count: 1}},
		{type: 'action', action: {type: 'add-clients', count: 10}},
		{type: 'action', action: {type: 'drop-clients', count: 1}},
		{type: 'action', action: {type: 'drop-clients', count: 'all'}},
	]);
	assert.deepEqual(press(['4']).effects, [
		{type: 'action', action: {type: 'set-mode', mode: 'pool'}},
	]);
	assert.deepEqual(press(['^z']).effects, [{type: 'suspend'}]);
	assert.deepEqual(press(['escape']).effects, [{type: 'back'}]);
	assert.deepEqual(press(['tab', 'left', '0']).effects, [], 'keys without a meaning do nothing');
	assert.deepEqual(press(['tab', 'left', '0']).state, INITIAL_VIEW_STATE);
});

test('pause keeps the frame shown when pressed, and space again follows the source', () => {
	const paused = press([' ']).state;
	assert.equal(paused.frozen, SEQUENTIAL_SNAPSHOT);
	const later: Snapshot = {...SEQUENTIAL_SNAPSHOT, at: SEQUENTIAL_SNAPSHOT.at + 1000};
	assert.equal(press(['c'], paused, {...CONTEXT, shown: later}).state.frozen, SEQUENTIAL_SNAPSHOT);
	assert.equal(press([' '], paused, {...CONTEXT, shown: later}).state.frozen, undefined);
});

test('a batch mixes all of it: each key sees the state the one before left', () => {
	const {state, effects} = press([
		...typed('jjj/ab'),
		'return',
		...typed('jsjt'),
		'down',
		'e',
		'?',
	]);
	assert.deepEqual(
		{...state, frozen: undefined},
		{
			view: 'events',
			help: true,
			offset: 1,
			processesOffset: 0,
			eventsOffset: undefined,
			sort: 'state',
			filter: 'ab',
			editingFilter: false,
			frozen: undefined,
		},
	);
	assert.deepEqual(effects, []);
});

test('the room: the connection list ends with its last row on screen; the threads with the longer list', () => {
	const many: Snapshot = {
		...SEQUENTIAL_SNAPSHOT,
		connections: {...SEQUENTIAL_SNAPSHOT.connections, matching: 30},
	};
	assert.deepEqual(roomFor(many, 11), {page: 10, lastConnection: 19, lastProcess: 0, lastEvent: 0});
	assert.equal(roomFor(SEQUENTIAL_SNAPSHOT, 11).lastConnection, 0, 'three rows fit in eleven');
	assert.equal(roomFor(many, 1).page, 1, 'a page is at least a row');
});
