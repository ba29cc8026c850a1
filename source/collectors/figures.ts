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

/** One process of the server, read from /proc. */
export type ProcessFigures = {
	readonly pid: number;
	readonly name: string;
	readonly threads: number;
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

export type HostFigures = {
	readonly cpuPercent: number;
	readonly cores: number;
	readonly memUsedBytes: number;
	readonly memTotalBytes: number;
};

/** A process tree's figures summed: threads, RSS, and CPU (a process's first reading, with no CPU share yet, counts 0). */
export type ProcessTotals = {
	readonly threads: number;
	readonly rssBytes: number;
	readonly cpuPercent: number;
	/** Whether any process has a CPU share yet (on the first reading none has). */
	readonly cpuKnown: boolean;
};

/** The one place a process tree's figures are summed (panels, JSON lines, Prometheus, compare). */
export function processTotals(processes: readonly ProcessFigures[]): ProcessTotals {
	let threads = 0;
	let rssBytes = 0;
	let cpuPercent = 0;
	let cpuKnown = false;
	for (const process of processes) {
		threads += process.threads;
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
