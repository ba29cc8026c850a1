/**
 * The one private folder of this user's concurrency-top files: the serve sockets and the
 * internal-error logs. Another user on the machine must not be able to enter it, plant a file or a
 * symlink in it, or read what is there, so it is created 0700, checked for owner and mode every
 * time it is used, and files in it are created exclusively, never through a symlink.
 */
import {
	closeSync,
	constants,
	lstatSync,
	mkdirSync,
	openSync,
	readFileSync,
	statSync,
	unlinkSync,
	writeSync,
	type Stats,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Whether nobody but this user (or root) can rename or replace what is in `parent`: ours or
 * root's, and writable by others only with the sticky bit (as /tmp is). Otherwise the folder we
 * checked could be swapped for a symlink between the check and the use.
 */
function isSafeParent(parent: string): boolean {
	try {
		const stat = statSync(parent);
		const uid = process.getuid?.();
		const owner = uid === undefined || stat.uid === uid || stat.uid === 0;
		return stat.isDirectory() && owner && ((stat.mode & 0o022) === 0 || (stat.mode & 0o1000) !== 0);
	} catch {
		return false;
	}
}

/**
 * Under $XDG_RUNTIME_DIR (private by its definition, and checked: `sudo -E` can carry another
 * user's), else a folder of our own in the temp dir.
 */
export function privateDirectory(env: NodeJS.ProcessEnv = process.env): string {
	const runtime = env.XDG_RUNTIME_DIR;
	if (runtime && isSafeParent(runtime) && (statSync(runtime).mode & 0o077) === 0)
		return path.join(runtime, 'concurrency-top');
	return path.join(env.TMPDIR || os.tmpdir(), `concurrency-top-${process.getuid?.() ?? 0}`);
}

/** Why `stat` is not a file only this user can reach, or null when it is. */
function unsafeBecause(stat: Stats, kind: 'folder' | 'socket'): string | null {
	const isKind = kind === 'folder' ? stat.isDirectory() : stat.isSocket();
	if (!isKind) return stat.isSymbolicLink() ? 'a symlink' : `not a ${kind}`;
	const uid = process.getuid?.();
	if (uid !== undefined && stat.uid !== uid) return `owned by uid ${stat.uid}, not ${uid}`;
	if ((stat.mode & 0o077) !== 0)
		return `mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}, not ${kind === 'folder' ? '0700' : '0600'}`;
	return null;
}

/** Throws a one-line error unless `directory` is a real folder of this user, mode 0700. */
export function checkPrivateDirectory(directory: string): string {
	let stat: Stats;
	try {
		stat = lstatSync(directory);
	} catch (error: unknown) {
		throw new Error(`${directory}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
	}
	const reason = unsafeBecause(stat, 'folder');
	if (reason !== null) {
		throw new Error(
			`${directory} is not a private folder of this user (${reason}): remove it, or point XDG_RUNTIME_DIR or TMPDIR at a folder of your own`,
		);
	}
	return directory;
}

/** Creates the private folder if it is not there, then checks it (whoever created it). */
export function ensurePrivateDirectory(directory = privateDirectory()): string {
	if (!isSafeParent(path.dirname(directory))) {
		throw new Error(
			`${path.dirname(directory)} lets other users replace what is in it: point XDG_RUNTIME_DIR or TMPDIR at a folder of your own`,
		);
	}
	try {
		// Not recursive: the parent ($XDG_RUNTIME_DIR or the temp dir) must already exist.
		mkdirSync(directory, {mode: 0o700});
	} catch (error: unknown) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
			throw new Error(
				`cannot create ${directory}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
			);
		}
	}
	return checkPrivateDirectory(directory);
}

/** Throws a one-line error unless `file` is a socket of this user that nobody else may open. */
export function checkPrivateSocket(file: string): void {
	const reason = unsafeBecause(lstatSync(file), 'socket');
	if (reason !== null)
		throw new Error(`${file} is not a private socket of this user (${reason}): not attaching`);
}

/**
 * Creates `name` in the private folder for writing: exclusively, never through a symlink, mode
 * 0600. One left there by an earlier process of the same pid is replaced. Returns the fd and path.
 */
export function createPrivateFile(
	name: string,
	directory = privateDirectory(),
): {readonly fd: number; readonly path: string} {
	const file = path.join(ensurePrivateDirectory(directory), name);
	const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
	try {
		return {fd: openSync(file, flags, 0o600), path: file};
	} catch (error: unknown) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
	}
	// Only this user can have put it there; unlinking a symlink removes the link, not its target.
	unlinkSync(file);
	return {fd: openSync(file, flags, 0o600), path: file};
}

/** The file in which `serve` leaves the control token it made, for `attach` of the same user. */
export const tokenFileName = (pid: number): string => `${pid}.token`;

/** Writes `token` to `<pid>.token` in the private folder (0600, exclusively); returns its path. */
export function writeTokenFile(pid: number, token: string, directory = privateDirectory()): string {
	const {fd, path: file} = createPrivateFile(tokenFileName(pid), directory);
	try {
		writeSync(fd, `${token}\n`);
	} finally {
		closeSync(fd);
	}
	return file;
}

/**
 * The token `serve` of `pid` left for this user, if the folder and the file are private to this
 * user (0700, 0600, ours, not a symlink); otherwise undefined: a planted file is never used.
 */
export function readTokenFile(pid: number, directory = privateDirectory()): string | undefined {
	try {
		checkPrivateDirectory(directory);
		const file = path.join(directory, tokenFileName(pid));
		const stat = lstatSync(file);
		const uid = process.getuid?.();
		if (!stat.isFile() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o077) !== 0)
			return undefined;
		const token = readFileSync(file, 'utf8').trim();
		return token === '' ? undefined : token;
	} catch {
		return undefined;
	}
}

/** Removes the token file of `pid`, if any. */
export function removeTokenFile(pid: number, directory = privateDirectory()): void {
	try {
		unlinkSync(path.join(directory, tokenFileName(pid)));
	} catch {
		// Already gone.
	}
}
