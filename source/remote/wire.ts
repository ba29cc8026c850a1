/**
 * The control protocol between `serve` and its observers (`attach`): newline-delimited JSON, one
 * message per line. Everything read from a socket is data from the network: it is parsed here,
 * checked field by field, and dropped when it is not exactly one of the messages below.
 */
import {
	ACTION_TYPES,
	MAX_FILTER_LENGTH,
	type Action,
	type ActionResult,
	type ActionType,
	type ConnectionWindow,
} from '../metrics/source.js';
import {SORT_KEYS} from '../metrics/connection-view.js';
import type {Snapshot} from '../metrics/snapshot.js';
import {MAX_CONNECTIONS, MAX_POOL_SIZE} from '../server/settings.js';
import {MODE_NAMES} from '../server/mode.js';
import {inert} from '../shared/format.js';
import {isNonce, isProof} from './proof.js';
import {matchesSchema, snapshotSchema} from './snapshot-schema.js';

/** 2: the token is proven by HMAC over nonces, never sent. */
export const PROTOCOL = 2;
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
			/** Whether this observer must prove it holds the token (it is not known by its uid). */
			readonly tokenRequired: boolean;
			/** The server's challenge, when a proof is required. */
			readonly nonce?: string;
			/** The actions this server carries out for an observer; absent: all of them. */
			readonly actions?: readonly ActionType[];
	  }
	/** The server proves it holds the token too, before any snapshot, once the observer's proof passed. */
	| {readonly type: 'proof'; readonly proof: string}
	| {readonly type: 'snapshot'; readonly snapshot: Snapshot}
	/** What became of the observer's action `id`: carried out, or refused and why. */
	| {readonly type: 'result'; readonly id: number; readonly result: ActionResult}
	| {readonly type: 'error'; readonly message: string};

/** observer → serve. */
export type ObserverMessage =
	| {
			readonly type: 'hello';
			readonly protocol: number;
			readonly version: string;
			/** The observer's nonce and its proof over both nonces, when the server asked for one. */
			readonly nonce?: string;
			readonly proof?: string;
	  }
	/** `id`, when given, is echoed in the `result`. */
	| {readonly type: 'action'; readonly id?: number; readonly action: Action}
	| {readonly type: 'window'; readonly window: ConnectionWindow};

/** An observer's line as parsed: a message, or an action the server cannot take, with why. */
export type ObserverInput =
	ObserverMessage | {readonly type: 'bad-action'; readonly id?: number; readonly why: string};

/** Action ids an observer chooses: small non-negative integers. */
const MAX_ACTION_ID = 2 ** 31;

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

/**
 * One line from an observer, or null when it is not a message we know. An action message whose
 * action is unknown or out of range is not malformed: it is answered with the reason.
 */
export function parseObserverMessage(line: string): ObserverInput | null {
	if (line.length > MAX_OBSERVER_LINE) return null;
	const message = parseJson(line);
	if (!isObject(message)) return null;
	switch (message.type) {
		case 'hello': {
			if (!isInt(message.protocol, 0, 1000) || !isShortString(message.version, 64)) return null;
			if (message.nonce !== undefined && !isNonce(message.nonce)) return null;
			if (message.proof !== undefined && !isProof(message.proof)) return null;
			return {
				type: 'hello',
				protocol: message.protocol,
				version: message.version,
				...(isNonce(message.nonce) ? {nonce: message.nonce} : {}),
				...(isProof(message.proof) ? {proof: message.proof} : {}),
			};
		}
		case 'action': {
			if (message.id !== undefined && !isInt(message.id, 0, MAX_ACTION_ID)) return null;
			const id = message.id === undefined ? {} : {id: message.id};
			const action = parseAction(message.action);
			return typeof action === 'string'
				? {type: 'bad-action', ...id, why: action}
				: {type: 'action', ...id, action};
		}
		case 'window':
			return parseWindow(message.window);
		default:
			return null;
	}
}

function parseWindow(window: unknown): ObserverMessage | null {
	if (!isObject(window)) return null;
	if (!isInt(window.offset, 0, Number.MAX_SAFE_INTEGER) || !isInt(window.limit, 0, MAX_WINDOW))
		return null;
	if (window.sort !== undefined && !(SORT_KEYS as readonly unknown[]).includes(window.sort))
		return null;
	if (window.filter !== undefined && !isShortString(window.filter, MAX_FILTER_LENGTH)) return null;
	return {
		type: 'window',
		window: {
			offset: window.offset,
			limit: window.limit,
			...(window.sort === undefined ? {} : {sort: window.sort as (typeof SORT_KEYS)[number]}),
			...(window.filter === undefined ? {} : {filter: window.filter as string}),
		},
	};
}

const isDirection = (value: unknown): value is 1 | -1 => value === 1 || value === -1;

/** An action from the network, checked field by field; a string says what is wrong with it. */
function parseAction(action: unknown): Action | string {
	if (!isObject(action) || !(ACTION_TYPES as readonly unknown[]).includes(action.type))
		return 'unknown action: this server carries out ' + ACTION_TYPES.join(', ');
	const type = action.type as ActionType;
	switch (type) {
		case 'add-clients':
			return isInt(action.count, 1, MAX_ADD_PER_ACTION)
				? {type, count: action.count}
				: `add-clients: count 1 to ${MAX_ADD_PER_ACTION}`;
		case 'drop-clients':
			if (action.count === 'all') return {type, count: 'all'};
			return isInt(action.count, 1, 10_000)
				? {type, count: action.count}
				: 'drop-clients: count 1 to 10000 or "all"';
		case 'set-mode':
			return (MODE_NAMES as readonly unknown[]).includes(action.mode)
				? {type, mode: action.mode as (typeof MODE_NAMES)[number]}
				: `set-mode: mode one of ${MODE_NAMES.join(', ')}`;
		case 'work':
		case 'delay':
			return isDirection(action.direction)
				? {type, direction: action.direction}
				: `${type}: direction 1 or -1`;
		case 'resize-pool':
			return isInt(action.by, -MAX_POOL_SIZE, MAX_POOL_SIZE) && action.by !== 0
				? {type, by: action.by}
				: `resize-pool: by a non-zero step within ±${MAX_POOL_SIZE}`;
		case 'set-max-connections':
			return action.max === null || isInt(action.max, 1, MAX_CONNECTIONS)
				? {type, max: action.max}
				: `set-max-connections: max null or 1 to ${MAX_CONNECTIONS}`;
		case 'next-mode':
		case 'toggle-placement':
		case 'restart-server':
		case 'crash-worker':
			return {type};
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
				typeof message.tokenRequired !== 'boolean' ||
				(message.nonce !== undefined && !isNonce(message.nonce))
			)
				return null;
			return {
				type: 'hello',
				protocol: message.protocol,
				// Printed when the protocols differ, before any snapshot is checked.
				version: inert(message.version),
				pid: message.pid,
				tokenRequired: message.tokenRequired,
				...(isNonce(message.nonce) ? {nonce: message.nonce} : {}),
				// Unknown names (a newer server's actions) are left out, not fatal.
				...(Array.isArray(message.actions)
					? {
							actions: ACTION_TYPES.filter((type) => (message.actions as unknown[]).includes(type)),
						}
					: {}),
			};
		case 'proof':
			return isProof(message.proof) ? {type: 'proof', proof: message.proof} : null;
		case 'error':
			return isShortString(message.message, 1000)
				? {type: 'error', message: inert(message.message)}
				: null;
		case 'result': {
			const result = message.result;
			if (!isInt(message.id, 0, MAX_ACTION_ID) || !isObject(result)) return null;
			if (result.ok === true) return {type: 'result', id: message.id, result: {ok: true}};
			if (result.ok !== false || !isShortString(result.why, 1000)) return null;
			return {
				type: 'result',
				id: message.id,
				result: {ok: false, why: inert(result.why)},
			};
		}
		case 'snapshot':
			return isSnapshot(message.snapshot)
				? {type: 'snapshot', snapshot: cleanStrings(message.snapshot)}
				: null;
		default:
			return null;
	}
}

/** Every string in a parsed JSON value made inert (the panels print them): no control character reaches a terminal. */
function cleanStrings<T>(value: T): T {
	if (typeof value === 'string') return inert(value) as T;
	if (Array.isArray(value)) return value.map((item: unknown) => cleanStrings(item)) as T;
	if (isObject(value)) {
		return Object.fromEntries(
			Object.entries(value).map(([key, item]) => [key, cleanStrings(item)]),
		) as T;
	}
	return value;
}

/** The whole snapshot is checked, every field, against the schema its type is checked against. */
const SNAPSHOT = snapshotSchema(MAX_WINDOW);

function isSnapshot(value: unknown): value is Snapshot {
	return matchesSchema(value, SNAPSHOT);
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
