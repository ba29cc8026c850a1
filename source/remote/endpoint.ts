import {lstatSync, mkdirSync, readdirSync, unlinkSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {UsageError} from '../options.js';
import {parseHostPort} from '../reach-options.js';

/** Where `attach` connects: a Unix socket, or a TCP host and port. */
export type ControlTarget =
	| {readonly kind: 'socket'; readonly path: string}
	| {readonly kind: 'tcp'; readonly host: string; readonly port: number};

export const describeTarget = (target: ControlTarget): string =>
	target.kind === 'socket' ? target.path : `${target.host}:${target.port}`;

/**
 * The folder of this user's control sockets: under $XDG_RUNTIME_DIR (already private), else a
 * folder of our own in the temp dir, mode 0700 and checked to be ours, so that nobody else can
 * place or reach a socket there.
 */
export function socketDirectory(env: NodeJS.ProcessEnv = process.env): string {
	const runtime = env.XDG_RUNTIME_DIR;
	const uid = process.getuid?.() ?? 0;
	return runtime
		? path.join(runtime, 'concurrency-top')
		: path.join(os.tmpdir(), `concurrency-top-${uid}`);
}

/** Creates the socket folder if needed and refuses one that another user could enter. */
export function ensureSocketDirectory(directory = socketDirectory()): string {
	mkdirSync(directory, {recursive: true, mode: 0o700});
	const stat = lstatSync(directory);
	const uid = process.getuid?.();
	if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o077) !== 0) {
		throw new Error(
			`${directory} is not a private folder of this user (mode 0700): remove it, or use --control-port`,
		);
	}
	return directory;
}

export const socketPathFor = (pid: number, directory = socketDirectory()): string =>
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
export function listServeSockets(directory = socketDirectory()): string[] {
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
	directory = socketDirectory(),
): ControlTarget {
	if (argument === undefined) {
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
