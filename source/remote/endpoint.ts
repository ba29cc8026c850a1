import {existsSync, readdirSync, unlinkSync} from 'node:fs';
import path from 'node:path';
import {UsageError} from '../options/values.js';
import {parseHostPort} from '../options/endpoints.js';
import {checkPrivateDirectory, checkPrivateSocket, privateDirectory} from './private-folder.js';

/** Where `attach` connects: a Unix socket, or a TCP host and port. */
export type ControlTarget =
	| {readonly kind: 'socket'; readonly path: string}
	| {readonly kind: 'tcp'; readonly host: string; readonly port: number};

export const describeTarget = (target: ControlTarget): string =>
	target.kind === 'socket' ? target.path : `${target.host}:${target.port}`;

export const socketPathFor = (pid: number, directory = privateDirectory()): string =>
	path.join(directory, `${pid}.sock`);

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error: unknown) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/** The sockets of running `serve` processes; those left by a process that died are removed. */
export function listServeSockets(directory = privateDirectory()): string[] {
	let names: string[];
	try {
		names = readdirSync(directory);
	} catch {
		return [];
	}
	const live: string[] = [];
	for (const name of names.sort()) {
		const match = /^(\d+)\.sock$/.exec(name);
		if (!match) continue;
		const file = path.join(directory, name);
		if (isAlive(Number(match[1]))) {
			live.push(file);
		} else {
			try {
				unlinkSync(file);
			} catch {
				// Not ours to worry about: the next listing tries again.
			}
		}
	}
	return live;
}

/** `attach`'s argument: a socket path, HOST:PORT, or nothing for the one local `serve`. */
export function resolveTarget(
	argument: string | undefined,
	directory = privateDirectory(),
): ControlTarget {
	if (argument === undefined) {
		// Only a folder and a socket nobody else could have placed: another user's socket could
		// pose as our serve and be sent our keys (and token).
		if (existsSync(directory)) onlyIfPrivate(() => checkPrivateDirectory(directory));
		const sockets = listServeSockets(directory);
		if (sockets.length === 0) {
			throw new UsageError(
				`no concurrency-top serve is running for this user (looked in ${directory}): start one with "concurrency-top serve", or name a target`,
			);
		}
		if (sockets.length > 1) {
			throw new UsageError(
				`${sockets.length} serve processes are running; name one: concurrency-top attach ${sockets.join(' | ')}`,
			);
		}
		onlyIfPrivate(() => checkPrivateSocket(sockets[0]!));
		return {kind: 'socket', path: sockets[0]!};
	}
	if (argument.includes('/') || argument.endsWith('.sock')) return {kind: 'socket', path: argument};
	try {
		const {host, port} = parseHostPort('target', argument);
		return {kind: 'tcp', host, port};
	} catch {
		throw new UsageError(
			`attach takes a socket path or HOST:PORT, such as 127.0.0.1:7070 (got "${argument}")`,
		);
	}
}

function onlyIfPrivate(check: () => unknown): void {
	try {
		check();
	} catch (error: unknown) {
		throw new UsageError(error instanceof Error ? error.message : String(error));
	}
}
