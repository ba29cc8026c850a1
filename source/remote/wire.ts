/**
 * The control protocol between `serve` and its observers (`attach`): newline-delimited JSON, one
 * message per line. Everything read from a socket is data from the network: it is parsed here,
 * checked field by field, and dropped when it is not exactly one of the messages below.
 */
import type {Action} from '../controller.js';
import type {Snapshot} from '../metrics/snapshot.js';
import type {ConnectionWindow} from '../metrics/store.js';
import {MODE_NAMES} from '../server/mode.js';

export const PROTOCOL = 1;
/** An observer sends short lines; anything longer is not ours. */
export const MAX_OBSERVER_LINE = 4096;
/** A snapshot holds at most MAX_WINDOW rows and 20 event lines: far below this. */
export const MAX_SERVER_LINE = 4 * 1024 * 1024;
export const MAX_WINDOW = 500;
export const MAX_ADD_PER_ACTION = 100;

/** serve → observer. */
export type ServerMessage =
	| {
			readonly type: 'hello';
			readonly protocol: number;
			readonly version: string;
			readonly pid: number;
			readonly tokenRequired: boolean;
	  }
	| {readonly type: 'snapshot'; readonly snapshot: Snapshot}
	| {readonly type: 'error'; readonly message: string};

/** observer → serve. */
export type ObserverMessage =
	| {
			readonly type: 'hello';
			readonly protocol: number;
			readonly version: string;
			readonly token?: string;
	  }
	| {readonly type: 'action'; readonly action: Action}
	| {readonly type: 'window'; readonly window: ConnectionWindow};

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
	typeof value === 'object' && value !== null && !Array.isArray(value);
const isInt = (value: unknown, min: number, max: number): value is number =>
	Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;
const isShortString = (value: unknown, max: number): value is string =>
	typeof value === 'string' && value.length <= max;

function parseJson(line: string): unknown {
	try {
		return JSON.parse(line);
	} catch {
		return undefined;
	}
}

/** One line from an observer, or null when it is not a message we know. */
export function parseObserverMessage(line: string): ObserverMessage | null {
	if (line.length > MAX_OBSERVER_LINE) return null;
	const message = parseJson(line);
	if (!isObject(message)) return null;
	switch (message.type) {
		case 'hello': {
			if (!isInt(message.protocol, 0, 1000) || !isShortString(message.version, 64)) return null;
			if (message.token !== undefined && !isShortString(message.token, 1024)) return null;
			return {
				type: 'hello',
				protocol: message.protocol,
				version: message.version,
				...(typeof message.token === 'string' ? {token: message.token} : {}),
			};
		}
		case 'action': {
			const action = parseAction(message.action);
			return action === null ? null : {type: 'action', action};
		}
		case 'window': {
			const window = message.window;
			if (!isObject(window)) return null;
			if (!isInt(window.offset, 0, Number.MAX_SAFE_INTEGER) || !isInt(window.limit, 0, MAX_WINDOW))
				return null;
			return {type: 'window', window: {offset: window.offset, limit: window.limit}};
		}
		default:
			return null;
	}
}

function parseAction(action: unknown): Action | null {
	if (!isObject(action)) return null;
	switch (action.type) {
		case 'add-clients':
			return isInt(action.count, 1, MAX_ADD_PER_ACTION)
				? {type: 'add-clients', count: action.count}
				: null;
		case 'drop-clients':
			if (action.count === 'all') return {type: 'drop-clients', count: 'all'};
			return isInt(action.count, 1, 10_000) ? {type: 'drop-clients', count: action.count} : null;
		case 'next-mode':
			return {type: 'next-mode'};
		case 'set-mode':
			return (MODE_NAMES as readonly unknown[]).includes(action.mode)
				? {type: 'set-mode', mode: action.mode as (typeof MODE_NAMES)[number]}
				: null;
		default:
			return null;
	}
}

/** One line from `serve`, or null. The snapshot is checked for the shape the panels read. */
export function parseServerMessage(line: string): ServerMessage | null {
	if (line.length > MAX_SERVER_LINE) return null;
	const message = parseJson(line);
	if (!isObject(message)) return null;
	switch (message.type) {
		case 'hello':
			if (
				!isInt(message.protocol, 0, 1000) ||
				!isShortString(message.version, 64) ||
				!isInt(message.pid, 0, 2 ** 31) ||
				typeof message.tokenRequired !== 'boolean'
			)
				return null;
			return {
				type: 'hello',
				protocol: message.protocol,
				version: message.version,
				pid: message.pid,
				tokenRequired: message.tokenRequired,
			};
		case 'error':
			return isShortString(message.message, 1000)
				? {type: 'error', message: withoutControls(message.message)}
				: null;
		case 'snapshot':
			return isSnapshot(message.snapshot)
				? {type: 'snapshot', snapshot: cleanStrings(message.snapshot)}
				: null;
		default:
			return null;
	}
}

/** Text from the network reaches a terminal: no escape sequences. */
const withoutControls = (text: string) =>
	[...text]
		.map((char) => (char < ' ' || (char >= '\u007f' && char <= '\u009f') ? ' ' : char))
		.join('');

/** Every string in a parsed JSON value, without control characters (the panels print them). */
function cleanStrings<T>(value: T): T {
	if (typeof value === 'string') return withoutControls(value) as T;
	if (Array.isArray(value)) return value.map((item: unknown) => cleanStrings(item)) as T;
	if (isObject(value)) {
		return Object.fromEntries(
			Object.entries(value).map(([key, item]) => [key, cleanStrings(item)]),
		) as T;
	}
	return value;
}

const NUMBERS: Readonly<Record<string, readonly string[]>> = {
	connections: ['open', 'active', 'queued', 'acceptedTotal', 'offset'],
	queue: ['waiting', 'oldestWaitMs', 'longestWaitMs'],
	traffic: ['messagesInPerSec', 'messagesOutPerSec', 'bytesInPerSec', 'bytesOutPerSec'],
	latency: ['samples'],
	clients: ['total', 'connected', 'waiting'],
};

function isSnapshot(value: unknown): value is Snapshot {
	if (!isObject(value) || typeof value.at !== 'number') return false;
	const server = value.server;
	if (!isObject(server) || typeof server.host !== 'string' || typeof server.port !== 'number')
		return false;
	for (const [part, fields] of Object.entries(NUMBERS)) {
		const object = value[part];
		if (!isObject(object)) return false;
		if (!fields.every((field) => typeof object[field] === 'number')) return false;
	}
	const connections = value.connections as Json;
	const traffic = value.traffic as Json;
	if (!Array.isArray(connections.rows) || connections.rows.length > MAX_WINDOW) return false;
	if (!connections.rows.every((row) => isObject(row) && typeof row.peer === 'string')) return false;
	if (!Array.isArray(traffic.history) || !traffic.history.every((n) => typeof n === 'number'))
		return false;
	if (!Array.isArray(value.events)) return false;
	if (value.os !== null && !(isObject(value.os) && Array.isArray(value.os.processes))) return false;
	if (value.host !== null && !isObject(value.host)) return false;
	return true;
}

/**
 * Splits a byte stream into lines, each at most `maxLine` bytes. A longer line is an error: the
 * peer is not speaking this protocol, and the caller hangs up rather than buffer without end.
 */
export class LineSplitter {
	readonly #maxLine: number;
	#pending = '';

	constructor(maxLine: number) {
		this.#maxLine = maxLine;
	}

	/** The complete lines in `chunk`, or 'overflow'. */
	push(chunk: string): string[] | 'overflow' {
		const parts = (this.#pending + chunk).split('\n');
		this.#pending = parts.pop()!;
		if (this.#pending.length > this.#maxLine) return 'overflow';
		if (parts.some((line) => line.length > this.#maxLine)) return 'overflow';
		return parts.filter((line) => line.trim() !== '');
	}
}

export const encode = (message: ServerMessage | ObserverMessage): string =>
	`${JSON.stringify(message)}\n`;
