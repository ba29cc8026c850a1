import {spawn, type ChildProcess} from 'node:child_process';
import {readdirSync, readFileSync} from 'node:fs';
import type {Socket} from 'node:net';
import {findDescendants, readProcess} from '../collectors/proc.js';
import {readListeners, socketHolders, socketOwners} from '../collectors/sockets.js';
import {inert} from '../shared/format.js';
import {UsageError} from '../options/options.js';

/** A server to watch that we started: ended with its whole process group on quit. */
export type Started = {
	readonly child: ChildProcess;
	/** Ends the server and every process it started; resolves once the main one is gone. */
	readonly stop: () => Promise<void>;
};

const START_TIMEOUT_MS = 15_000;
const POLL_MS = 100;
/** Longest line of the server's stderr we keep; the rest of the line is dropped. */
const MAX_LINE = 200;
/**
 * The server's stderr is read at most this much a second (then the pipe is not read until the
 * second ends: the server waits on its writes, not watch's CPU on its flood), and at most
 * LINES_PER_SECOND of its lines go to the event log; the rest are counted in one line.
 */
const STDERR_BYTES_PER_SECOND = 64 * 1024;
const LINES_PER_SECOND = 10;

/**
 * The processes that hold a listener on `port`, each the root of its tree: a pre-forked or
 * process-per-client server's children inherit the listener, and are part of the tree whose root
 * holds it too; a second root is a second server on the port (SO_REUSEPORT). Lowest pid first. A
 * UsageError says why there is none.
 */
export async function ownersOfPort(port: number): Promise<number[]> {
	const inodes = new Set(
		(await readListeners())
			.filter((candidate) => candidate.port === port)
			.map((listener) => listener.inode),
	);
	if (inodes.size === 0) throw new UsageError(`nothing listens on TCP port ${port}`);
	const pids = readdirSync('/proc')
		.filter((entry) => /^\d+$/.test(entry))
		.map(Number);
	const {holders, missing} = socketHolders(pids, inodes);
	const parents = new Map<number, number>();
	for (const pid of holders) parents.set(pid, (await readProcess(pid))?.ppid ?? 0);
	const hasHolderAbove = (pid: number): boolean => {
		const seen = new Set<number>();
		for (let up = parents.get(pid) ?? 0; up > 1 && !seen.has(up);) {
			if (holders.has(up)) return true;
			seen.add(up);
			up = parents.get(up) ?? ppidOf(up);
		}
		return false;
	};
	const roots = [...holders].filter((pid) => !hasHolderAbove(pid)).sort((a, b) => a - b);
	if (roots.length > 0) return roots;
	throw new UsageError(
		missing === null
			? `the process listening on port ${port} is not in this /proc: it may run in another container or namespace`
			: `the process listening on port ${port} is not one whose /proc/<pid>/fd you may read: watch as its user, or as root (CAP_SYS_PTRACE)`,
	);
}

function ppidOf(pid: number): number {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
	} catch {
		return 0;
	}
}

/** What `pid` is, for a line: `python3` (inert). */
export function nameOf(pid: number): string {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return inert(stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
	} catch {
		return '?';
	}
}

/**
 * Checks that `pid` is a process we can see and that it has not ended: a zombie has (its parent has
 * not reaped it yet), and is watched only with `stay`.
 */
export function checkPid(pid: number, stay = false): number {
	let stat: string;
	try {
		stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	} catch {
		throw new UsageError(`there is no process ${pid}`);
	}
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	if (fields[0] === 'Z' && !stay) {
		throw new UsageError(
			`process ${pid} has ended: it is a zombie that its parent ${fields[1]} has not reaped (--stay watches it anyway)`,
		);
	}
	return pid;
}

/**
 * Starts `command` in a process group of its own (so quitting ends its children too), its stdout
 * discarded (it must not draw on our screen or mix with --json) and its stderr lines passed to `log`
 * as inert text. Resolves once the process or one of its descendants listens on a TCP port.
 */
export async function startCommand(
	command: readonly string[],
	log: (line: string) => void,
): Promise<Started> {
	const child = spawn(command[0]!, command.slice(1), {
		detached: true,
		stdio: ['ignore', 'ignore', 'pipe'],
	});
	let exited: string | null = null;
	let lastLine = '';
	const gone = new Promise<void>((resolve) => {
		child.once('exit', (code, signal) => {
			exited = signal ?? `exit ${code}`;
			resolve();
		});
		child.once('error', (error) => {
			exited = error.message;
			resolve();
		});
	});
	const guard = child.pid === undefined ? undefined : startGuard(child.pid);
	let partial = '';
	let second = 0;
	let bytes = 0;
	let logged = 0;
	let skipped = 0;
	const stderr = child.stderr!;
	stderr.setEncoding('utf8');
	stderr.on('data', (text: string) => {
		const now = Date.now();
		if (Math.floor(now / 1000) !== second) {
			second = Math.floor(now / 1000);
			bytes = 0;
			logged = 0;
		}
		const lines = (partial + text).split('\n');
		partial = lines.pop()!.slice(0, MAX_LINE);
		for (const line of lines) {
			if (line === '') continue;
			lastLine = inert(line.slice(0, MAX_LINE));
			if (logged++ < LINES_PER_SECOND) log(lastLine);
			else if (skipped++ === 0) {
				setTimeout(() => {
					log(
						`(${skipped} more lines of its stderr not shown: more than ${LINES_PER_SECOND} a second)`,
					);
					skipped = 0;
				}, 1000).unref();
			}
		}
		bytes += text.length;
		if (bytes > STDERR_BYTES_PER_SECOND) {
			stderr.pause();
			setTimeout(() => stderr.resume(), (second + 1) * 1000 - now).unref();
		}
	});
	const stop = async () => {
		// Ending the group ourselves: the guard must not signal it again once its number may be reused.
		guard?.kill('SIGKILL');
		if (exited === null && child.pid !== undefined) {
			signalGroup(child.pid, 'SIGTERM');
			const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), 1000);
			await gone;
			clearTimeout(timer);
		}
		// Children that outlived their parent (a process-per-client server's) are still in its group.
		if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
	};
	const deadline = Date.now() + START_TIMEOUT_MS;
	while (exited === null && Date.now() < deadline) {
		if (child.pid !== undefined && (await listensOnSomePort(child.pid))) return {child, stop};
		await new Promise((resolve) => setTimeout(resolve, POLL_MS));
	}
	await stop();
	const why =
		exited === null
			? `did not listen on a TCP port within ${START_TIMEOUT_MS / 1000}s`
			: `ended (${exited}) before listening on a TCP port`;
	throw new UsageError(`${inert(command.join(' '))} ${why}${lastLine ? `: ${lastLine}` : ''}`);
}

/**
 * Ends the started server's process group if we die without ending it (SIGKILL, a crash): Node has
 * no parent-death signal, and the server is in a group of its own, so nothing else would. A tiny
 * shell, not in the server's tree (so not in its figures), reads a pipe only we hold open; at its
 * end of file it sends the group SIGTERM, then SIGKILL a second later, as our quit does.
 */
function startGuard(pgid: number): ChildProcess {
	const guard = spawn(
		'/bin/sh',
		[
			'-c',
			'read -r _; kill -TERM "-$1" 2>/dev/null && sleep 1 && kill -KILL "-$1" 2>/dev/null',
			'concurrency-top-guard',
			String(pgid),
		],
		{detached: true, stdio: ['pipe', 'ignore', 'ignore']},
	);
	guard.on('error', () => {});
	// Neither the guard nor its pipe keeps us running.
	guard.unref();
	(guard.stdin as Socket).unref();
	return guard;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
	try {
		process.kill(-pid, signal);
	} catch {
		// The group is already empty.
	}
}

async function listensOnSomePort(pid: number): Promise<boolean> {
	const {owners} = socketOwners([pid, ...(await findDescendants(pid))]);
	if (owners.size === 0) return false;
	return (await readListeners()).some((listener) => owners.has(listener.inode));
}
