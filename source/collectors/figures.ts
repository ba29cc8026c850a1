/** What the collectors read from the kernel: the figures a Snapshot carries for the server's processes and the machine. */

import type {ThreadActivity} from './thread-activity.js';

/** A thread's activity with how long it has been in it: since the first of the successive readings that all saw it there. */
export type TimedActivity = ThreadActivity & {readonly forMs: number};

/** One OS thread of a server process, read from /proc/<pid>/task. */
export type ThreadFigures = {
	readonly tid: number;
	readonly name: string;
	/** proc(5) state letter: R running, S sleeping, D blocked in the kernel, … */
	readonly state: string;
	readonly cpuPercent: number | null;
	/** What it is blocked in (watch): from /proc/<pid>/task/<tid>/syscall, else wchan and stat. */
	readonly activity?: TimedActivity;
	/** The connection its fd is (watch): the id of the connection list and the peer; or a listener. */
	readonly connection?: {readonly id: number | null; readonly peer: string} | null;
};

/** One process of the server, read from /proc (or systeminformation where there is no /proc). */
export type ProcessFigures = {
	readonly pid: number;
	readonly name: string;
	/** OS threads; null where the collector cannot tell (systeminformation has no thread counts). */
	readonly threads: number | null;
	readonly rssBytes: number;
	/** Share of one core over the last collection period; null on the first reading. */
	readonly cpuPercent: number | null;
	/** CPU time (user and system) the process has used since it started, from /proc/<pid>/stat. */
	readonly cpuSeconds?: number;
	/** Each OS thread, when the collector was asked for them (watch). */
	readonly tasks?: readonly ThreadFigures[];
};

export type OsFigures = {
	/** The server's own process first, then its descendants (test clients excluded). */
	readonly processes: readonly ProcessFigures[];
	/** Connections completed by the kernel but not yet accepted, summed over the listening sockets. */
	readonly acceptQueue: number | null;
	/** Descendants that have ended and wait for their parent to reap them: never counted as live. */
	readonly zombies?: readonly {
		readonly pid: number;
		readonly ppid: number;
		readonly name: string;
	}[];
};

/**
 * What the dashboard reads of the server's processes and of the machine, whichever way the platform
 * lets it: /proc on Linux, systeminformation where there is no /proc (macOS, Windows).
 */
export type SystemCollector = {
	/** `proc` or `systeminformation`: what the figures come from. */
	readonly from: 'proc' | 'systeminformation';
	/** The server's processes, its own first; null while the collector cannot read them yet. */
	processes(now?: number): Promise<ProcessFigures[] | null>;
	/** The whole machine's CPU and memory; null when there is nothing new to say. */
	host(): Promise<HostFigures | null>;
	/** Loads what the collector needs, once: called after the first frame (absent: nothing to load). */
	readonly load?: () => Promise<void>;
};

export type HostFigures = {
	/** The share of all cores busy since the previous reading. */
	readonly cpuPercent: number;
	/**
	 * All cores' CPU time since boot, busy and idle (idle and I/O wait), in seconds, from the first
	 * line of /proc/stat: a counter, for those who take the rate themselves (Prometheus).
	 */
	readonly cpuBusySeconds?: number;
	readonly cpuIdleSeconds?: number;
	readonly cores: number;
	readonly memUsedBytes: number;
	readonly memTotalBytes: number;
};

/** A process tree's figures summed: threads, RSS, and CPU (a process's first reading, with no CPU share yet, counts 0). */
export type ProcessTotals = {
	/** Null when a process's threads are not known: a sum of some would be a wrong figure. */
	readonly threads: number | null;
	readonly rssBytes: number;
	readonly cpuPercent: number;
	/** Whether any process has a CPU share yet (on the first reading none has). */
	readonly cpuKnown: boolean;
};

/** The one place a process tree's figures are summed (panels, JSON lines, Prometheus, compare). */
export function processTotals(processes: readonly ProcessFigures[]): ProcessTotals {
	let threads: number | null = 0;
	let rssBytes = 0;
	let cpuPercent = 0;
	let cpuKnown = false;
	for (const process of processes) {
		threads = threads === null || process.threads === null ? null : threads + process.threads;
		rssBytes += process.rssBytes;
		if (process.cpuPercent !== null) {
			cpuPercent += process.cpuPercent;
			cpuKnown = true;
		}
	}
	return {threads, rssBytes, cpuPercent, cpuKnown};
}

/**
 * Each thread's fd joined to what it is, by the socket inode its activity names: `connectionOf`
 * says (a connection's id and peer, a listener, or null: a socket of no connection we know).
 * One join for `watch` and for our own models' `t` view.
 */
export function joinThreads(
	processes: readonly ProcessFigures[],
	connectionOf: (inode: number) => ThreadFigures['connection'],
): ProcessFigures[] {
	return processes.map((process) =>
		process.tasks
			? {
					...process,
					tasks: process.tasks.map((task) => {
						const inode = task.activity?.inode ?? null;
						return inode === null ? task : {...task, connection: connectionOf(inode)};
					}),
				}
			: process,
	);
}
