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
	['+  -', 'grow / shrink the thread pool'],
	['!', 'crash one worker thread or child process'],
	['↑ ↓ j k PgUp PgDn', 'scroll the connections (or threads) a row / a page'],
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

/** What one key press asks for, or null for a key that means nothing. */
export function commandFor(key: KeyPress): KeyCommand | null {
	if (key.kind === 'ctrl') {
		if (key.letter === 'c') return {type: 'quit'};
		if (key.letter === 'z') return {type: 'suspend'};
		return null;
	}
	if (key.kind === 'key') return KEY_COMMANDS[key.name] ?? null;
	if (key.kind !== 'text') return null;
	const input = key.text;
	switch (input) {
		case 'c':
			return {type: 'action', action: {type: 'add-clients', count: 1}};
		case 'C':
			return {type: 'action', action: {type: 'add-clients', count: 10}};
		case 'x':
			return {type: 'action', action: {type: 'drop-clients', count: 1}};
		case 'X':
			return {type: 'action', action: {type: 'drop-clients', count: 'all'}};
		case 'm':
			return {type: 'action', action: {type: 'next-mode'}};
		case 'k':
			return {type: 'scroll', to: 'up'};
		case 'j':
			return {type: 'scroll', to: 'down'};
		case 'g':
			return {type: 'scroll', to: 'top'};
		case 'G':
			return {type: 'scroll', to: 'bottom'};
		case 's':
			return {type: 'sort'};
		case '/':
			return {type: 'filter'};
		case ' ':
			return {type: 'pause'};
		case 'e':
			return {type: 'view', view: 'events'};
		case 't':
			return {type: 'view', view: 'processes'};
		case 'p':
			return {type: 'action', action: {type: 'toggle-placement'}};
		case 'R':
			return {type: 'action', action: {type: 'restart-server'}};
		case 'w':
			return {type: 'action', action: {type: 'work', direction: 1}};
		case 'W':
			return {type: 'action', action: {type: 'work', direction: -1}};
		case 'd':
			return {type: 'action', action: {type: 'delay', direction: 1}};
		case 'D':
			return {type: 'action', action: {type: 'delay', direction: -1}};
		case '+':
		case '=':
			return {type: 'action', action: {type: 'resize-pool', by: 1}};
		case '-':
			return {type: 'action', action: {type: 'resize-pool', by: -1}};
		case '!':
			return {type: 'action', action: {type: 'crash-worker'}};
		case '?':
			return {type: 'help'};
		case 'q':
			return {type: 'quit'};
		default: {
			const mode = MODE_NAMES[Number(input) - 1];
			return /^[1-9]$/.test(input) && mode
				? {type: 'action', action: {type: 'set-mode', mode}}
				: null;
		}
	}
}
