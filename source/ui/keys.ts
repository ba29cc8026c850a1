import type {KeyName, KeyPress} from '../terminal/index.js';
import type {Action} from '../metrics/source.js';
import {MODE_NAMES} from '../server/mode.js';

/** What a key press means; the App carries it out. */
export type KeyCommand =
	| {readonly type: 'action'; readonly action: Action}
	| {
			readonly type: 'scroll';
			readonly to: 'up' | 'down' | 'page-up' | 'page-down' | 'top' | 'bottom';
	  }
	| {readonly type: 'sort'}
	| {readonly type: 'filter'}
	| {readonly type: 'pause'}
	| {readonly type: 'view'; readonly view: 'events' | 'processes'}
	| {readonly type: 'help'}
	| {readonly type: 'suspend'}
	| {readonly type: 'quit'};

const KEY_COMMANDS: Partial<Record<KeyName, KeyCommand>> = {
	up: {type: 'scroll', to: 'up'},
	down: {type: 'scroll', to: 'down'},
	'page-up': {type: 'scroll', to: 'page-up'},
	'page-down': {type: 'scroll', to: 'page-down'},
	home: {type: 'scroll', to: 'top'},
	end: {type: 'scroll', to: 'bottom'},
};

/** `1 sequential  2 async …` for models `from`..`to` (1-based): which model each number key starts. */
function modeKeys(from: number, to: number): string {
	return MODE_NAMES.slice(from - 1, to)
		.map((mode, index) => `${from + index} ${mode}`)
		.join('  ');
}

/** The number keys' lines of the help: two, the models split in halves (`1-4`, `5-8`). */
function modeKeyLines(): [keys: string, what: string][] {
	const half = Math.ceil(MODE_NAMES.length / 2);
	return [
		[`1-${half}`, modeKeys(1, half)],
		[`${half + 1}-${MODE_NAMES.length}`, modeKeys(half + 1, MODE_NAMES.length)],
	];
}

/**
 * Every key, as the help overlay lists it. The one place keys are described. Each line fits an
 * 80-column window whole, and all of them fit a 24-row one.
 */
export const KEY_HELP: readonly (readonly [keys: string, what: string])[] = [
	['c  C', 'add one / ten test clients'],
	['x  X', 'drop the newest / every test client'],
	['m', 'next model: the server restarts on the same port'],
	...modeKeyLines(),
	['p', 'run the server in a process of its own, or back in this one'],
	['R', 'restart the server (after its process died)'],
	['w  W', 'more / less CPU work per message'],
	['d  D', 'more / less simulated I/O wait per message'],
	['+  -', 'grow / shrink the thread pool (pool model)'],
	['!', 'crash one worker thread or child process'],
	['↑ ↓ j k PgUp PgDn', 'scroll the list on screen a row / a page'],
	['g G  Home End', 'first / last connection'],
	['s', 'sort by the next column (marked in the header)'],
	['/', 'filter by peer, state or handler (Enter keeps, Esc clears)'],
	['space', 'pause the display (the server and clients run on)'],
	['e  t', 'events / threads and processes in place of the connections'],
	['?', 'this help (any key closes it)'],
	['Ctrl-Z', 'stop (back to the shell; fg returns)'],
	['q  Ctrl-C', 'quit (attach: detach; the server runs on)'],
];

/** The keys that change the server: they mean nothing for a server we only watch. */
const SERVER_KEYS: ReadonlySet<string> = new Set([
	'm',
	...modeKeyLines().map(([keys]) => keys),
	'p',
	'R',
	'w  W',
	'd  D',
	'+  -',
	'!',
]);

/** The keys that do something: all of them for our own server, no server keys for a watched one. */
export function keyHelp(watched: boolean): typeof KEY_HELP {
	return watched ? KEY_HELP.filter(([keys]) => !SERVER_KEYS.has(keys)) : KEY_HELP;
}

/** The short list on the status line. */
export const KEY_HINTS = `c/C add x/X drop 1-${MODE_NAMES.length} model p place ? help q quit`;
export const WATCH_KEY_HINTS = 'c/C add x/X drop t threads e events ? help q quit';
/** In attach, q detaches: the server runs on. */
export const ATTACH_KEY_HINTS = KEY_HINTS.replace(/q quit$/, 'q detach');
/** A compare row's dashboard: its model and placement are the row's, and Esc goes back. */
export const COMPARE_ROW_KEY_HINTS = 'c/C add x/X drop ? help Esc compare q quit';

const action = (action: Action): KeyCommand => ({type: 'action', action});

/** What each character key asks for (the number keys are {@link MODE_NAMES}'s order, from 1). */
const TEXT_COMMANDS: Readonly<Record<string, KeyCommand>> = {
	c: action({type: 'add-clients', count: 1}),
	C: action({type: 'add-clients', count: 10}),
	x: action({type: 'drop-clients', count: 1}),
	X: action({type: 'drop-clients', count: 'all'}),
	m: action({type: 'next-mode'}),
	...Object.fromEntries(
		MODE_NAMES.map((mode, index) => [String(index + 1), action({type: 'set-mode', mode})]),
	),
	k: {type: 'scroll', to: 'up'},
	j: {type: 'scroll', to: 'down'},
	g: {type: 'scroll', to: 'top'},
	G: {type: 'scroll', to: 'bottom'},
	s: {type: 'sort'},
	'/': {type: 'filter'},
	' ': {type: 'pause'},
	e: {type: 'view', view: 'events'},
	t: {type: 'view', view: 'processes'},
	p: action({type: 'toggle-placement'}),
	R: action({type: 'restart-server'}),
	w: action({type: 'work', direction: 1}),
	W: action({type: 'work', direction: -1}),
	d: action({type: 'delay', direction: 1}),
	D: action({type: 'delay', direction: -1}),
	'+': action({type: 'resize-pool', by: 1}),
	'=': action({type: 'resize-pool', by: 1}),
	'-': action({type: 'resize-pool', by: -1}),
	'!': action({type: 'crash-worker'}),
	'?': {type: 'help'},
	q: {type: 'quit'},
};

/** What one key press asks for, or null for a key that means nothing. */
export function commandFor(key: KeyPress): KeyCommand | null {
	switch (key.kind) {
		case 'ctrl':
			return key.letter === 'c' ? {type: 'quit'} : key.letter === 'z' ? {type: 'suspend'} : null;
		case 'key':
			return KEY_COMMANDS[key.name] ?? null;
		case 'text':
			return Object.hasOwn(TEXT_COMMANDS, key.text) ? TEXT_COMMANDS[key.text]! : null;
		case 'paste':
			return null;
	}
}
