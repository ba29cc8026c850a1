import {readdirSync, readFileSync} from 'node:fs';
import {runSs, SS, SS_RUNNER, startSs} from './ss.js';

// /proc files are generated in memory by the kernel: reading them synchronously costs microseconds
// and spares the libuv thread pool a round trip per file, which at one read per process per second
// was most of the dashboard's idle CPU.

import type {OsFigures, ProcessFigures, ThreadFigures} from './figures.js';
import {readActivity} from './thread-activity.js';

/** The one helper program the dashboard and the server run (as children) to ask the kernel. */
export const HELPER = 'ss';
/**
 * The server's own short-lived helper (listener-copies, forked by async's acceptor for 0.1-0.5 s):
 * a whole Node process of its own, which counted made the first frame show two processes, 18
 * threads, 101 MB and over 100% CPU for an idle server.
 */
export const LISTENER_COPIES = /(?:^|\/)listener-copies\.c?js$/;

/**
 * `ss`, run for a moment by a collector or by a thread ending its connection, and the shell of ours
 * that runs it (the dashboard's, or the server process's): tools of ours, not part of the server.
 */
export function isToolOfOurs(reading: {readonly pid: number; readonly name: string}): boolean {
	if (reading.name === HELPER) return true;
	return reading.name === 'sh' && (cmdline(reading.pid)?.includes(`\0${SS_RUNNER}\0`) ?? false);
}

/** Whether `pid` runs the listener-copies entry (its first argument after node's own). */
function isListenerCopies(pid: number): boolean {
	const argv = cmdline(pid)?.split('\0') ?? [];
	return LISTENER_COPIES.test(argv[1] ?? '');
}

/** Linux reports CPU time in clock ticks of 1/100 s (USER_HZ, fixed by the kernel ABI). */
const TICKS_PER_SECOND = 100;

type ProcessReading = {
	readonly pid: number;
	readonly ppid: number;
	readonly name: string;
	readonly threads: number;
	readonly rssBytes: number;
	readonly cpuTicks: number;
	/** proc(5) state letter; Z: a zombie, ended and not yet reaped. */
	readonly state: string;
};

/** Reads a process's figures; null if the process is gone or /proc is missing. */
export async function readProcess(pid: number): Promise<ProcessReading | null> {
	const stat = await readStat(pid);
	return stat && {...stat, rssBytes: await readRss(pid)};
}

async function readStat(pid: number): Promise<Omit<ProcessReading, 'rssBytes'> | null> {
	let stat: string;
	try {
		stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	} catch {
		return null;
	}
	// The name is in parentheses and may hold spaces or parentheses itself: split after the last ')'.
	const close = stat.lastIndexOf(')');
	const name = stat.slice(stat.indexOf('(') + 1, close);
	const fields = stat.slice(close + 2).split(' ');
	// fields[0] is field 3 (state) of proc(5); field N is fields[N - 3].
	const ppid = Number(fields[1]);
	const cpuTicks = Number(fields[11]) + Number(fields[12]);
	// num_threads counts the entries of /proc/<pid>/task: libuv's pool and V8's threads too.
	const threads = Number(fields[17]);
	return {pid, ppid, name, threads, cpuTicks, state: fields[0] ?? '?'};
}

/** One OS thread of a process, from /proc/<pid>/task/<tid>/stat. */
export type ThreadReading = {
	readonly tid: number;
	readonly name: string;
	/** proc(5) state letter: R running, S sleeping, D blocked in the kernel, … */
	readonly state: string;
	readonly cpuTicks: number;
};

/** Every thread of a process; empty if it is gone. */
export function readThreads(pid: number): ThreadReading[] {
	let tids: string[];
	try {
		tids = readdirSync(`/proc/${pid}/task`);
	} catch {
		return [];
	}
	const threads: ThreadReading[] = [];
	for (const tid of tids) {
		let stat: string;
		try {
			stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
		} catch {
			continue;
		}
		const close = stat.lastIndexOf(')');
		const fields = stat.slice(close + 2).split(' ');
		threads.push({
			tid: Number(tid),
			name: stat.slice(stat.indexOf('(') + 1, close),
			state: fields[0] ?? '?',
			cpuTicks: Number(fields[11]) + Number(fields[12]),
		});
	}
	return threads.sort((a, b) => a.tid - b.tid);
}

/** How many times a thread has run on a CPU (the third field of schedstat); '' if unreadable. */
function readRuns(pid: number, tid: number): string {
	try {
		return readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ')[2] ?? '';
	} catch {
		return '';
	}
}

/** Resident set size from /proc/<pid>/status, which states it in kB whatever the page size. */
async function readRss(pid: number): Promise<number> {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
		return match ? Number(match[1]) * 1024 : 0;
	} catch {
		return 0;
	}
}

/** The direct children of a process: from each of its threads' `children` list, or by scanning /proc. */
async function childrenOf(pid: number): Promise<number[]> {
	try {
		const children: number[] = [];
		for (const tid of readdirSync(`/proc/${pid}/task`)) {
			for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) {
				if (child !== '' && child !== '\n') children.push(Number(child));
			}
		}
		return children;
	} catch {
		return scanForChildren(pid);
	}
}

/** Without CONFIG_PROC_CHILDREN: the processes whose parent is `pid`, from every /proc/<n>/stat. */
async function scanForChildren(pid: number): Promise<number[]> {
	let entries: string[];
	try {
		entries = readdirSync('/proc');
	} catch {
		return [];
	}
	const children: number[] = [];
	for (const entry of entries) {
		if (!/^\d+$/.test(entry)) continue;
		const reading = await readStat(Number(entry));
		if (reading?.ppid === pid) children.push(reading.pid);
	}
	return children;
}

function cmdline(pid: number): string | null {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, 'latin1');
	} catch {
		return null;
	}
}

/**
 * A child between fork and exec: one thread forked from a process of several, and still its
 * parent's command line. A program with threads forks only to exec (nothing else is safe in the
 * child), so this is not yet the program it becomes: every `ss` the server runs (ten times a second
 * while clients wait) passes through this state under the server's name for a moment. A
 * single-threaded server that forks a child per client (Python's ForkingMixIn) is not mistaken
 * for it: its parent has one thread too.
 */
function isSpawning(reading: ProcessReading, parent: ProcessReading | undefined): boolean {
	if (reading.threads !== 1 || parent === undefined || parent.threads === 1) return false;
	const own = cmdline(reading.pid);
	return own !== null && own === cmdline(reading.ppid);
}

/** Every descendant of `root`, children first, in ascending pid order. */
export async function findDescendants(root: number): Promise<number[]> {
	const descendants: number[] = [];
	const frontier = [root];
	while (frontier.length > 0) {
		for (const child of await childrenOf(frontier.pop()!)) {
			descendants.push(child);
			frontier.push(child);
		}
	}
	return descendants.sort((a, b) => a - b);
}

/**
 * Connections the kernel has completed but the server has not yet accepted: the Recv-Q of the
 * listening sockets on `port`. Asked of the kernel through `ss` (netlink sock_diag, filtered in the
 * kernel to listeners), whose cost does not grow with the connections; /proc/net/tcp lists every
 * socket of the machine, and reading it at 10,000 connections cost the dashboard about 12% of a core.
 * Falls back to /proc/net/tcp{,6} where `ss` is missing.
 */
export async function readAcceptQueue(port: number): Promise<number | null> {
	if (useSs) {
		const depth = await readAcceptQueueSs(port);
		if (depth !== null) return depth;
		useSs = false;
	}
	return readAcceptQueueProc(port);
}

let useSs = true;

function readAcceptQueueSs(port: number): Promise<number | null> {
	return new Promise((resolve) => {
		if (SS === undefined) {
			resolve(null);
			return;
		}
		runSs(['-Hltn', `sport = :${port}`], {timeoutMs: 2000}).then(
			(stdout) => resolve(acceptQueueInSs(stdout)),
			() => resolve(null),
		);
	});
}

/** Parses `ss -Hltn` output: for a listener, Recv-Q (the 2nd column) is the accept queue. Exported for tests. */
export function acceptQueueInSs(output: string): number {
	let depth = 0;
	for (const line of output.split('\n')) {
		const recvQ = Number(line.trim().split(/\s+/)[1]);
		if (Number.isFinite(recvQ)) depth += recvQ;
	}
	return depth;
}

async function readAcceptQueueProc(port: number): Promise<number | null> {
	let found = false;
	let depth = 0;
	for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
		let text: string;
		try {
			text = readFileSync(file, 'utf8');
		} catch {
			continue;
		}
		found = true;
		depth += acceptQueueIn(text, port);
	}
	return found ? depth : null;
}

/** Parses one /proc/net/tcp{,6} table. Exported for tests. */
export function acceptQueueIn(table: string, port: number): number {
	// With thousands of connections the table is megabytes: find the listening lines by their local
	// port and state before splitting anything.
	const localPort = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
	let depth = 0;
	let start = table.indexOf('\n') + 1;
	while (start > 0 && start < table.length) {
		const end = table.indexOf('\n', start);
		const line = table.slice(start, end === -1 ? undefined : end);
		start = end + 1;
		const at = line.indexOf(localPort);
		if (at === -1 || at > line.indexOf(' ', line.indexOf(':') + 2)) continue;
		const fields = line.trim().split(/\s+/);
		const queues = fields[4];
		if (fields[3] !== '0A' || queues === undefined) continue;
		depth += Number.parseInt(queues.slice(queues.indexOf(':') + 1), 16);
	}
	return depth;
}

export type ProcSource = {
	/** The server's process: the dashboard's own when the server runs in-process; null while it is down. */
	readonly serverPid: () => number | null;
	/** The port whose accept queue to read; null: none (the caller reads listeners itself). */
	readonly port: () => number | null;
	/** Read every process's threads too (name, state, CPU%): the watch command shows them. */
	readonly threads?: boolean;
	/** Processes under the server's that are not part of it (the test clients). */
	readonly exclude: () => ReadonlySet<number>;
	/** With `threads`: what each thread is blocked in, and for how long (watch). */
	readonly activity?: boolean;
	/** More roots, each with its descendants (watch --port with several owners of the port). */
	readonly otherRoots?: () => readonly number[];
};

/** Reads the server's processes and the accept queue; keeps the CPU ticks of the last reading to turn them into a share. */
export class ProcCollector {
	readonly #source: ProcSource;
	#previous = new Map<string, {ticks: number; at: number}>();
	/** Each thread's activity at the last reading, and since when it has been seen in it. */
	#since = new Map<number, {key: string; since: number; runs: string}>();
	/** Why a thread's `syscall` could not be read (errno and file), at the last reading; null: it could. */
	refused: string | null = null;

	constructor(source: ProcSource) {
		this.#source = source;
		// Before the server's worker threads exist: ss is forked from the runner, not from a big us.
		startSs();
	}

	async collect(now = Date.now()): Promise<OsFigures> {
		const processes = await this.processes(now);
		return {processes, acceptQueue: await this.acceptQueue(), zombies: this.zombies};
	}

	/** The zombies among the descendants at the last reading. */
	zombies: NonNullable<OsFigures['zombies']> = [];

	/**
	 * A thread's activity, timed from the first of the successive readings that saw it there without
	 * the thread having run in between (its count of runs on a CPU, from schedstat, unchanged): a
	 * thread that wakes for each message and goes back to recv is "in recv" for at most one reading.
	 */
	#timed(
		pid: number,
		tid: number,
		state: string,
		now: number,
		since: Map<number, {key: string; since: number; runs: string}>,
	) {
		const {activity, refused} = readActivity(pid, tid, state);
		if (refused !== null) this.refused ??= `${refused} on /proc/${pid}/task/${tid}/syscall`;
		const key = `${activity.kind} ${activity.call} ${activity.fd}`;
		const runs = readRuns(pid, tid);
		const before = this.#since.get(tid);
		const start = before?.key === key && before.runs === runs && runs !== '' ? before.since : now;
		since.set(tid, {key, since: start, runs});
		return {...activity, forMs: now - start};
	}

	/** The accept queue of the port (an `ss`, a fork: long on a busy machine); null: no port. */
	async acceptQueue(): Promise<number | null> {
		const port = this.#source.port();
		return port === null ? null : readAcceptQueue(port);
	}

	/** The server's processes from /proc: files the kernel makes in memory, read in microseconds. */
	async processes(now = Date.now()): Promise<ProcessFigures[]> {
		const root = this.#source.serverPid();
		const exclude = this.#source.exclude();
		// A server process that is down has no processes, threads or RSS: never the dashboard's own.
		const roots = root === null ? [] : [root, ...(this.#source.otherRoots?.() ?? [])];
		const pids: number[] = [];
		for (const each of roots) {
			if (pids.includes(each)) continue;
			pids.push(each, ...(await findDescendants(each)).filter((pid) => !exclude.has(pid)));
		}
		const readings = await Promise.all(pids.map((pid) => readProcess(pid)));
		const byPid = new Map(readings.map((reading) => [reading?.pid, reading ?? undefined]));
		const current = new Map<string, {ticks: number; at: number}>();
		/** Share of one core since the last reading of the same process or thread. */
		const cpu = (key: string, ticks: number): number | null => {
			const before = this.#previous.get(key);
			current.set(key, {ticks, at: now});
			const seconds = before ? (now - before.at) / 1000 : 0;
			return before && seconds > 0
				? (100 * (ticks - before.ticks)) / TICKS_PER_SECOND / seconds
				: null;
		};
		const processes: ProcessFigures[] = [];
		const zombies: {pid: number; ppid: number; name: string}[] = [];
		const since = new Map<number, {key: string; since: number; runs: string}>();
		this.refused = null;
		for (const reading of readings) {
			// A zombie has ended: it holds no threads, memory or sockets, only its place in the table.
			if (reading?.state === 'Z') {
				zombies.push({pid: reading.pid, ppid: reading.ppid, name: reading.name});
				continue;
			}
			// Counted, `ss` made a process and a thread flicker into the figures (isToolOfOurs).
			if (
				!reading ||
				exclude.has(reading.ppid) ||
				isToolOfOurs(reading) ||
				isSpawning(reading, byPid.get(reading.ppid)) ||
				isListenerCopies(reading.pid)
			)
				continue;
			const tasks: ThreadFigures[] | undefined = this.#source.threads
				? readThreads(reading.pid).map((thread) => ({
						tid: thread.tid,
						name: thread.name,
						state: thread.state,
						cpuPercent: cpu(`t${thread.tid}`, thread.cpuTicks),
						...(this.#source.activity
							? {activity: this.#timed(reading.pid, thread.tid, thread.state, now, since)}
							: {}),
					}))
				: undefined;
			processes.push({
				pid: reading.pid,
				name: reading.name,
				threads: reading.threads,
				rssBytes: reading.rssBytes,
				cpuPercent: cpu(`p${reading.pid}`, reading.cpuTicks),
				cpuSeconds: reading.cpuTicks / TICKS_PER_SECOND,
				...(tasks ? {tasks} : {}),
			});
		}
		this.#previous = current;
		this.#since = since;
		this.zombies = zombies;
		return processes;
	}
}

/**
 * The peers (written as `formatAddress` writes them) of the established connections on local port
 * `port`; null if neither `ss` nor /proc can say. A peer that closed leaves this set at once: its
 * socket goes to CLOSE-WAIT (after a FIN) or disappears (after a reset).
 */
export async function readEstablishedPeers(port: number): Promise<Set<string> | null> {
	// The system's ss (see SS); without it, /proc.
	const output = await runSs(['-Htn', 'state', 'established', `sport = :${port}`], {
		timeoutMs: 2000,
		maxBuffer: 64 * 1024 * 1024,
	}).catch(() => null);
	if (output !== null) return peersInSs(output);
	let found = false;
	const peers = new Set<string>();
	for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
		try {
			for (const peer of establishedIn(readFileSync(file, 'utf8'), port)) peers.add(peer);
			found = true;
		} catch {
			// A kernel without IPv6 has no tcp6 table: the other one still answers.
		}
	}
	return found ? peers : null;
}

/** Parses `ss -Htn state established` output (no state column): the 4th column is the peer. Exported for tests. */
export function peersInSs(output: string): Set<string> {
	const peers = new Set<string>();
	for (const line of output.split('\n')) {
		const peer = line.trim().split(/\s+/)[3];
		if (peer) peers.add(peer.replace(/^\[::ffff:([\d.]+)\]/, '$1'));
	}
	return peers;
}

/** The peers of the established (state 01) connections on local `port` in one /proc/net/tcp{,6} table. Exported for tests. */
export function establishedIn(table: string, port: number): string[] {
	const localPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
	const peers: string[] = [];
	for (const line of table.split('\n').slice(1)) {
		const [, local, remote, state] = line.trim().split(/\s+/);
		if (state !== '01' || !local?.endsWith(localPort) || !remote) continue;
		const [address, hexPort] = remote.split(':') as [string, string];
		const host = hexAddress(address);
		peers.push(
			host.includes(':')
				? `[${host}]:${Number.parseInt(hexPort, 16)}`
				: `${host}:${Number.parseInt(hexPort, 16)}`,
		);
	}
	return peers;
}

/** A /proc/net/tcp address (32-bit words in host order, little-endian here) as inet_ntop writes it; v4-mapped as plain v4. */
export function hexAddress(hex: string): string {
	const bytes: number[] = [];
	for (let word = 0; word < hex.length; word += 8) {
		for (let at = 6; at >= 0; at -= 2)
			bytes.push(Number.parseInt(hex.slice(word + at, word + at + 2), 16));
	}
	if (bytes.length === 4) return bytes.join('.');
	const mapped =
		bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 255 && bytes[11] === 255;
	if (mapped) return bytes.slice(12).join('.');
	const groups: number[] = [];
	for (let at = 0; at < 16; at += 2) groups.push(bytes[at]! * 256 + bytes[at + 1]!);
	// RFC 5952: the longest run of two or more zero groups becomes '::'.
	let best = {start: -1, length: 1};
	for (let start = 0; start < 8; start++) {
		let length = 0;
		while (start + length < 8 && groups[start + length] === 0) length++;
		if (length > best.length) best = {start, length};
	}
	const text = groups.map((group) => group.toString(16));
	if (best.start === -1) return text.join(':');
	return `${text.slice(0, best.start).join(':')}::${text.slice(best.start + best.length).join(':')}`;
}
