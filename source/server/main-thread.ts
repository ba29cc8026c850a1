import type {Socket} from 'node:net';
import {connectionReports, formatAddress, ignoreSocketErrors, serveSocket} from './connection.js';
import type {ModeContext} from './mode.js';
import type {EmitEvent, HandledBy} from './protocol.js';

/** The main thread, as the `by` of a connection it accepted or serves. */
export const MAIN = {kind: 'main'} as const;

/** Announces connection `id`, just accepted by the main thread: served at once, or queued in line. */
export function announceOnMain(emit: EmitEvent, socket: Socket, id: number, queued: boolean): void {
	const peer = formatAddress(socket.remoteAddress, socket.remotePort);
	emit({
		type: 'conn-open',
		id,
		peer,
		state: queued ? 'queued' : 'active',
		by: MAIN,
		...(queued ? {waitIn: 'line' as const} : {}),
		at: Date.now(),
	});
}

/**
 * Announces that `by` serves connection `id` from now on: one announced queued in line
 * (announceOnMain) moves to it, one not announced yet opens served by it.
 */
export function announceServed(
	emit: EmitEvent,
	socket: Socket,
	id: number,
	by: HandledBy,
	queued: boolean,
): void {
	if (queued) emit({type: 'conn-serve', id, by, at: Date.now()});
	else {
		const peer = formatAddress(socket.remoteAddress, socket.remotePort);
		emit({type: 'conn-open', id, peer, state: 'active', by, at: Date.now()});
	}
}

/**
 * Takes a socket the main thread just accepted, unless --max-connections refuses it: gives it an id,
 * announces it (served at once, or queued in line), keeps it in `sockets` until it closes, and then
 * announces its close, after `onClose`. Returns the id, or undefined when it was refused.
 */
export function acceptOnMain(
	{admit, nextConnectionId, emit}: Pick<ModeContext, 'admit' | 'nextConnectionId' | 'emit'>,
	sockets: Set<Socket>,
	socket: Socket,
	{queued = false, onClose}: {readonly queued?: boolean; readonly onClose?: () => void} = {},
): number | undefined {
	if (!admit(socket)) return undefined;
	const id = nextConnectionId();
	sockets.add(socket);
	ignoreSocketErrors(socket);
	announceOnMain(emit, socket, id, queued);
	socket.once('close', () => {
		onClose?.();
		sockets.delete(socket);
		emit({type: 'conn-close', id, at: Date.now()});
	});
	return id;
}

/** Echoes connection `id` on this thread with the model's handler and settings; its stalls and idle close become events. */
export function serveOnMain(
	{config, traffic, settings, emit}: Pick<ModeContext, 'config' | 'traffic' | 'settings' | 'emit'>,
	socket: Socket,
	id: number,
): void {
	serveSocket(socket, {
		id,
		handler: config.handler,
		traffic,
		settings,
		...connectionReports(id, emit, settings().idleTimeoutMs),
	});
}
