import type {ConnectionState, HandledBy} from '../protocol.js';

/** One connection as the server sees it, with the round-trip time its test client measured, if any. */
export type ConnectionRow = {
	readonly id: number;
	readonly peer: string;
	readonly state: ConnectionState;
	readonly by: HandledBy;
	readonly bytesIn: number;
	readonly bytesOut: number;
	readonly messagesIn: number;
	readonly messagesOut: number;
	readonly lastRttMs: number | null;
	readonly ageMs: number;
	/** Time spent queued: so far if still queued, else until it was served; 0 if never queued. */
	readonly waitMs: number;
};

/** One process of the server, read from /proc. */
export type ProcessFigures = {
	readonly pid: number;
	readonly name: string;
	readonly threads: number;
	readonly rssBytes: number;
	/** Share of one core over the last collection period; null on the first reading. */
	readonly cpuPercent: number | null;
};

export type OsFigures = {
	/** The server's own process first, then its descendants (test clients excluded). */
	readonly processes: readonly ProcessFigures[];
	/** Connections completed by the kernel but not yet accepted, summed over the listening sockets. */
	readonly acceptQueue: number | null;
};

export type HostFigures = {
	readonly cpuPercent: number;
	readonly cores: number;
	readonly memUsedBytes: number;
	readonly memTotalBytes: number;
};

export type EventLine = {
	readonly at: number;
	readonly level: 'info' | 'warn' | 'error';
	readonly text: string;
};

/** Everything a frame shows, frozen at one tick. Panels render this and nothing else. */
export type Snapshot = {
	readonly at: number;
	readonly server: {
		readonly mode: string | null;
		readonly host: string;
		readonly port: number;
		readonly handler: string;
	};
	readonly connections: {
		readonly open: number;
		readonly active: number;
		readonly queued: number;
		readonly acceptedTotal: number;
		/** Index of `rows[0]` among all open connections, ordered by id. */
		readonly offset: number;
		readonly rows: readonly ConnectionRow[];
	};
	readonly queue: {
		readonly waiting: number;
		/** How long the connection at the head of the line has waited so far. */
		readonly oldestWaitMs: number;
		readonly longestWaitMs: number;
		readonly acceptQueue: number | null;
	};
	readonly traffic: {
		readonly messagesInPerSec: number;
		readonly messagesOutPerSec: number;
		readonly bytesInPerSec: number;
		readonly bytesOutPerSec: number;
		readonly messagesTotal: number;
		/** Since start, across model switches: the counters Prometheus scrapes. */
		readonly messagesOutTotal: number;
		readonly bytesInTotal: number;
		readonly bytesOutTotal: number;
		/** Messages in per second, one entry per second, oldest first, at most a minute. */
		readonly history: readonly number[];
	};
	readonly latency: {
		readonly p50Ms: number | null;
		readonly p99Ms: number | null;
		readonly maxMs: number | null;
		readonly samples: number;
	};
	readonly clients: {
		readonly total: number;
		readonly connected: number;
		/** Connected but still without a reply: the clients a blocked server keeps waiting. */
		readonly waiting: number;
	};
	readonly os: OsFigures | null;
	readonly host: HostFigures | null;
	readonly events: readonly EventLine[];
};
