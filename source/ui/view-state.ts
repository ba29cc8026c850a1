/**
 * What the dashboard shows, apart from the snapshot: which view, how far each list is scrolled, the
 * sort and filter of the connections, the help overlay, a paused frame. One state, changed only by
 * {@link reduce}; a key press becomes a change of it ({@link meaningOf}) and/or something to do outside
 * it (an action for the source, quit, stop, back). Pure: tested without a terminal.
 */
import {MAX_FILTER_LENGTH, type Action} from '../metrics/source.js';
import {SORT_KEYS, type SortKey} from '../metrics/connection-view.js';
import type {Snapshot} from '../metrics/snapshot.js';
import type {KeyPress} from '../terminal/index.js';
import {commandFor, type KeyCommand} from './keys.js';
import {CONNECTIONS_CHROME} from './panels/connections.js';
import {lastOffset} from './panels/processes.js';
import {eventRows} from './panels/events.js';

export type ViewState = {
	/** What fills the space under the top panels. */
	readonly view: 'connections' | 'events' | 'processes';
	/** The help overlay covers the view; any key closes it. */
	readonly help: boolean;
	/** Rows of the connection list scrolled off the top. */
	readonly offset: number;
	/** Rows of the threads view's lists scrolled off the top. */
	readonly processesOffset: number;
	/** The event at the top of the events view (`e`) once scrolled; undefined: it follows the newest. */
	readonly eventsOffset: number | undefined;
	readonly sort: SortKey;
	readonly filter: string;
	/** While typing a filter, keys are text. */
	readonly editingFilter: boolean;
	/** The snapshot the display is paused on (`space`), or undefined when it follows the source. */
	readonly frozen: Snapshot | undefined;
};

export const INITIAL_VIEW_STATE: ViewState = {
	view: 'connections',
	help: false,
	offset: 0,
	processesOffset: 0,
	eventsOffset: undefined,
	sort: 'id',
	filter: '',
	editingFilter: false,
	frozen: undefined,
};

export type ScrollTo = Extract<KeyCommand, {type: 'scroll'}>['to'];

/** How far each list can scroll, from the latest snapshot: scrolling stops at its ends. */
export type Room = {
	/** Rows one page key moves. */
	readonly page: number;
	/** The largest offset of the connection list: its last row at the bottom. */
	readonly lastConnection: number;
	/** The largest offset of the threads view: the longer of its two lists shows its last row. */
	readonly lastProcess: number;
	/** The largest offset of the events view: the newest event at the bottom. */
	readonly lastEvent: number;
};

/** Every change of the view state. */
export type ViewAction =
	| {readonly type: 'scroll'; readonly to: ScrollTo; readonly room: Room}
	| {readonly type: 'next-sort'}
	| {readonly type: 'start-filter'}
	| {readonly type: 'type-filter'; readonly text: string}
	| {readonly type: 'erase-filter'}
	| {readonly type: 'keep-filter'}
	| {readonly type: 'clear-filter'}
	/** Pauses on `snapshot`, or follows the source again when paused. */
	| {readonly type: 'pause'; readonly snapshot: Snapshot}
	/** Shows `view` in place of the connections, or the connections again when it is shown. */
	| {readonly type: 'toggle-view'; readonly view: 'events' | 'processes'}
	| {readonly type: 'help'; readonly shown: boolean};

/** What a key asks of the world outside the view state. */
export type Effect =
	| {readonly type: 'action'; readonly action: Action}
	| {readonly type: 'quit'}
	| {readonly type: 'suspend'}
	/** Esc with nothing to clear: back to the view that opened this one (compare), if any. */
	| {readonly type: 'back'};

/** What one key press means in a state: a change of it, an effect outside it, both or neither. */
export type Meaning = {readonly change?: ViewAction; readonly effect?: Effect};

/** What the key handler knows besides the state: how far lists scroll, the frame a pause keeps. */
export type KeyContext = {readonly room: Room; readonly shown: Snapshot};

const clamp = (value: number, last: number) => Math.max(0, Math.min(last, value));

/** The offset `to` asks for from `current`, within 0..last. */
function scrolled(current: number, to: ScrollTo, room: Room, last: number): number {
	const next = {
		up: current - 1,
		down: current + 1,
		'page-up': current - room.page,
		'page-down': current + room.page,
		top: 0,
		bottom: last,
	}[to];
	return clamp(next, last);
}

/**
 * The scroll keys move the list on screen: the connections, or in the threads view (`t`) its lists.
 * From the offset asked for last, not the one shown: every key press counts.
 */
function scroll(state: ViewState, to: ScrollTo, room: Room): ViewState {
	if (state.view === 'events') {
		// Scrolled back to the newest, the log follows new events again.
		const next = scrolled(state.eventsOffset ?? room.lastEvent, to, room, room.lastEvent);
		return {...state, eventsOffset: next >= room.lastEvent ? undefined : next};
	}
	return state.view === 'processes'
		? {...state, processesOffset: scrolled(state.processesOffset, to, room, room.lastProcess)}
		: {...state, offset: scrolled(state.offset, to, room, room.lastConnection)};
}

/** The next state after `action`. A change of sort or filter starts the list at its top. */
export function reduce(state: ViewState, action: ViewAction): ViewState {
	switch (action.type) {
		case 'scroll':
			return scroll(state, action.to, action.room);
		case 'next-sort':
			return {
				...state,
				sort: SORT_KEYS[(SORT_KEYS.indexOf(state.sort) + 1) % SORT_KEYS.length]!,
				offset: 0,
			};
		case 'start-filter':
			return {...state, editingFilter: true, offset: 0};
		case 'type-filter':
			return {...state, filter: (state.filter + action.text).slice(0, MAX_FILTER_LENGTH)};
		case 'erase-filter':
			return {...state, filter: state.filter.slice(0, -1)};
		case 'keep-filter':
			return {...state, editingFilter: false};
		case 'clear-filter':
			return {...state, filter: '', editingFilter: false, offset: 0};
		case 'pause':
			return {...state, frozen: state.frozen ? undefined : action.snapshot};
		case 'toggle-view':
			return {
				...state,
				view: state.view === action.view ? 'connections' : action.view,
				processesOffset: 0,
				eventsOffset: undefined,
			};
		case 'help':
			return {...state, help: action.shown};
	}
}

/** While typing a filter, keys are text: Enter keeps the filter, Esc clears it, Ctrl-C still quits. */
function filterKey(key: KeyPress): Meaning {
	if (key.kind === 'text' || key.kind === 'paste')
		return {change: {type: 'type-filter', text: key.text}};
	if (key.kind === 'ctrl') return key.letter === 'c' ? {effect: {type: 'quit'}} : {};
	if (key.kind !== 'key') return {};
	if (key.name === 'return') return {change: {type: 'keep-filter'}};
	if (key.name === 'escape') return {change: {type: 'clear-filter'}};
	if (key.name === 'backspace' || key.name === 'delete') return {change: {type: 'erase-filter'}};
	return {};
}

/** What a command of the key map means for the view state or outside it. */
function commandMeaning(command: KeyCommand, context: KeyContext): Meaning {
	switch (command.type) {
		case 'action':
			return {effect: {type: 'action', action: command.action}};
		case 'scroll':
			return {change: {type: 'scroll', to: command.to, room: context.room}};
		case 'sort':
			return {change: {type: 'next-sort'}};
		case 'filter':
			return {change: {type: 'start-filter'}};
		case 'pause':
			return {change: {type: 'pause', snapshot: context.shown}};
		case 'view':
			return {change: {type: 'toggle-view', view: command.view}};
		case 'help':
			return {change: {type: 'help', shown: true}};
		case 'suspend':
		case 'quit':
			return {effect: {type: command.type}};
	}
}

/**
 * What `key` means in `state`. Quit always quits; while the help shows, any other key only closes it;
 * Esc clears a kept filter, or goes back.
 */
export function meaningOf(state: ViewState, key: KeyPress, context: KeyContext): Meaning {
	if (state.editingFilter) return filterKey(key);
	const command = commandFor(key);
	if (command?.type === 'quit') return {effect: {type: 'quit'}};
	if (state.help) return {change: {type: 'help', shown: false}};
	if (key.kind === 'key' && key.name === 'escape') {
		return state.filter === '' ? {effect: {type: 'back'}} : {change: {type: 'clear-filter'}};
	}
	return command ? commandMeaning(command, context) : {};
}

/** How far lists can scroll in `snapshot` with `connectionRows` rows of connections on screen. */
export function roomFor(snapshot: Snapshot, connectionRows: number): Room {
	const height = connectionRows + CONNECTIONS_CHROME;
	return {
		page: Math.max(1, connectionRows - 1),
		lastConnection: Math.max(0, snapshot.connections.matching - connectionRows),
		lastProcess: lastOffset(snapshot.os, snapshot.workers, height),
		lastEvent: Math.max(0, snapshot.events.length - eventRows(height)),
	};
}
