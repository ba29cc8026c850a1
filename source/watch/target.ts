import {spawn, type ChildProcess} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {readdirSync, readFileSync} from 'node:fs';
import type {Socket} from 'node:net';
import {findDescendants, readProcess} from '../collectors/proc.js';
import {readListeners, socketHolders, socketOwners} from '../collectors/sockets.js';
import {inert} from '../shared/format.js';
import {UsageError} from '../options/values.js';

/** A server to watch that we started: ended with every descendant it had on quit. */
export type Started = {
	readonly child: ChildProcess;
	/** Ends the server and every process it started; resolves once they are gone. */
	readonly stop: () => Promise<void>;
	/** Descendants seen at a reading: remembered (with their start times) so they are ended too. */
	readonly track: (pids: readonly number[]) => void;
};

/** The variable every process of a started command inherits: how the guard knows them after setsid. */
export const MARK_VARIABLE = 'CONCURRENCY_TOP_WATCH';

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
	const mark = `${MARK_VARIABLE}=${randomBytes(12).toString('hex')}`;
	const child = spawn(command[0]!, command.slice(1), {
		detached: true,
		stdio: ['ignore', 'ignore', 'pipe'],
		env: {...process.env, [MARK_VARIABLE]: mark.slice(MARK_VARIABLE.length + 1)},
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
	const guard = child.pid === undefined ? undefined : startGuard(child.pid, mark);
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
	const told = new Set<string>();
	const track = (pids: readonly number[]) => {
		for (const pid of pids) {
			const started = startTime(pid);
			const key = `${pid} ${started}`;
			if (started === null || told.has(key)) continue;
			told.add(key);
			guard?.stdin?.write(`${key}\n`);
		}
	};
	if (child.pid !== undefined) track([child.pid]);
	let stopping: Promise<void> | undefined;
	const stop = () =>
		(stopping ??= (async () => {
			if (exited === null && child.pid !== undefined) {
				signalGroup(child.pid, 'SIGTERM');
				const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), 1000);
				await gone;
				clearTimeout(timer);
			}
			// Children that outlived their parent (a process-per-client server's) are still in its group.
			if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
			// And those that left it (setsid, a double fork): the guard ends every one it was told of or
			// that carries the mark, and exits once they are gone.
			if (guard && guard.exitCode === null) {
				const ended = new Promise((resolve) => guard.once('exit', resolve));
				// Held until it is done: unreferenced, its exit would not keep us waiting for it.
				guard.ref();
				guard.stdin?.end('stop\n');
				await ended;
			}
		})());
	const deadline = Date.now() + START_TIMEOUT_MS;
	while (exited === null && Date.now() < deadline) {
		if (child.pid !== undefined) {
			const tree = [child.pid, ...(await findDescendants(child.pid))];
			track(tree);
			if (await listensOnSomePort(tree)) return {child, stop, track};
		}
		await new Promise((resolve) => setTimeout(resolve, POLL_MS));
	}
	await stop();
	const why =
		exited === null
			? `did not listen on a TCP port within ${START_TIMEOUT_MS / 1000}s`
			: `ended (${exited}) before listening on a TCP port`;
	throw new UsageError(`${inert(command.join(' '))} ${why}${lastLine ? `: ${lastLine}` : ''}`);
}

/** A process's start time (clock ticks after boot, field 22 of stat): with the pid, who it is. */
export function startTime(pid: number): string | null {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
	} catch {
		return null;
	}
}

/**
 * The guard: a small Node process, not in the server's tree (so not in its figures), that ends the
 * started command's processes when watch's pipe to it closes: on quit (after a `stop` line) or when
 * watch dies (SIGKILL, a crash), which Node cannot otherwise notice. It ends every process it was
 * told of (`pid starttime` lines: a reused pid is not the same process) and every one whose
 * environment carries the mark (a daemon that double-forked between two readings); SIGTERM, then
 * SIGKILL after a second to those still there. It ends the group too, unless watch said `stop`
 * (watch ended the group itself, and its number may be reused once empty).
 */
const GUARD = `
const fs = require('node:fs');
const [group, mark] = process.argv.slice(1);
const told = new Map();
let input = '';
let stopped = false;
const field = (pid, at) => {
	try {
		const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[at];
	} catch {
		return undefined;
	}
};
const marked = (pid) => {
	try {
		return fs.readFileSync('/proc/' + pid + '/environ', 'latin1').split('\\0').includes(mark);
	} catch {
		return false;
	}
};
const live = () => {
	const found = new Set();
	for (const [pid, start] of told) if (field(pid, 19) === start && field(pid, 0) !== 'Z') found.add(pid);
	for (const entry of fs.readdirSync('/proc')) {
		const pid = Number(entry);
		if (Number.isInteger(pid) && pid !== process.pid && !found.has(pid) && field(pid, 0) !== 'Z' && marked(pid)) found.add(pid);
	}
	return [...found];
};
const signal = (name) => {
	if (!stopped) try { process.kill(-Number(group), name); } catch {}
	for (const pid of live()) try { process.kill(pid, name); } catch {}
};
const end = () => {
	signal('SIGTERM');
	const deadline = Date.now() + 1000;
	const poll = () => {
		if (live().length === 0) process.exit(0);
		if (Date.now() < deadline) return void setTimeout(poll, 50);
		signal('SIGKILL');
		process.exit(0);
	};
	poll();
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => {
	input += text;
	const lines = input.split('\\n');
	input = lines.pop();
	for (const line of lines) {
		if (line === 'stop') stopped = true;
		const [pid, start] = line.split(' ');
		if (start !== undefined) told.set(Number(pid), start);
	}
});
process.stdin.once('end', end);
process.stdin.once('error', end);
`;

function startGuard(pgid: number, mark: string): ChildProcess {
	const guard = spawn(process.execPath, ['-e', GUARD, String(pgid), mark], {
		detached: true,
		stdio: ['pipe', 'ignore', 'ignore'],
		// Its own environment never carries the mark: it must not find itself.
		env: {PATH: process.env['PATH'] ?? ''},
	});
	guard.on('error', () => {});
	guard.stdin!.on('error', () => {});
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

async function listensOnSomePort(pids: readonly number[]): Promise<boolean> {
	const {owners} = socketOwners(pids);
	if (owners.size === 0) return false;
	return (await readListeners()).some((listener) => owners.has(listener.inode));
}
