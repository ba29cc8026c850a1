import type {
	ConnectionState,
	HandledBy,
	ServerSettings,
	WaitPlace,
	WorkerRef,
} from '../server/protocol.js';
import type {SortKey} from './connection-view.js';
import type {HostFigures, OsFigures} from '../collectors/figures.js';
import type {Placement} from '../server/protocol.js';

export type {HostFigures, OsFigures, ProcessFigures, ThreadFigures} from '../collectors/figures.js';
export type {Placement} from '../server/protocol.js';

/** One connection as the server sees it, with the round-trip time its test client measured, if any. */
export type ConnectionRow = {
	readonly id: number;
	readonly peer: string;
	readonly state: ConnectionState;
	readonly by: HandledBy;
	/** Where it waits while `queued`: the sequential line or the pool's queue. */
	readonly waitIn: WaitPlace | null;
	readonly bytesIn: number;
	readonly bytesOut: number;
	readonly messagesIn: number;
	readonly messagesOut: number;
	readonly lastRttMs: number | null;
	readonly ageMs: number;
	/** Time spent queued: so far if still queued, else until it was served; 0 if never queued. */
	readonly waitMs: number;
	/** Watch: bytes in the kernel the server has not read yet (Recv-Q), and not yet delivered (Send-Q). */
	readonly unread?: number;
	readonly unsent?: number;
	/** Watch: the threads blocked on its socket now, what in, and for how long. */
	readonly threads?: readonly ConnectionThread[];
};

/** A thread that waits on a connection's socket (watch), from /proc/<pid>/task/<tid>/syscall. */
export type ConnectionThread = {
	readonly pid: number;
	readonly tid: number;
	/** What it waits in: recv, send, … (ActivityKind) and the system call's name. */
	readonly kind: string;
	readonly call: string | null;
	readonly forMs: number;
};

/** Where a test client the server has not accepted waits. */
export type PendingPlace = 'kernel queue' | 'not connected';

/**
 * A test client the server has no connection for: connected by the kernel and waiting in its accept
 * queue (`kernel queue`), or with its SYNs unanswered (`not connected`, the queue was full).
 */
export type PendingRow = {
	/** The test client's number. */
	readonly client: number;
	/** Its socket's local end; null before the kernel has picked one. */
	readonly local: string | null;
	readonly where: PendingPlace;
	/**
	 * Not connected: `syn-sent`, the client's SYNs have had no answer (the kernel drops them at a
	 * full queue); `half-open`, the client got a SYN-ACK and believes it is connected, but the
	 * server has no established socket for it (its ACK was dropped at the full queue). Null for the
	 * kernel queue.
	 */
	readonly handshake: 'syn-sent' | 'half-open' | null;
	/** How long it has waited there: since its connect began (not connected) or completed (kernel queue). */
	readonly sinceMs: number;
	/** Not connected: SYNs retransmitted so far; null for the kernel queue. */
	readonly synRetries: number | null;
	/**
	 * `kernel`: read from the kernel (ss, tcp_info of its SYN-SENT socket); `derived`: from its age,
	 * at the classic 1, 3, 7, 15 s (ss could not say); null for the kernel queue.
	 */
	readonly retriesFrom: 'kernel' | 'derived' | null;
};

/** What the kernel says of the clients a server has not accepted yet: the listener and the machine. */
export type KernelWaits = {
	/** The listen backlog as the kernel holds it (the listener's Send-Q in ss); it queues backlog + 1. Null: unknown. */
	readonly backlog: number | null;
	/** This machine's sockets whose SYN to the server's port has had no answer (ss SYN-SENT), test clients or not; null: not read. */
	readonly synSent: number | null;
	/** The most SYNs the kernel has retransmitted for any one of them. */
	readonly synRetriesMax: number;
	/**
	 * TcpExt ListenOverflows (dropped at a full accept queue) and ListenDrops (every drop at a
	 * listener) since the dashboard started: the whole machine's, every listener's, not this
	 * server's alone. Null: /proc/net/netstat unreadable.
	 */
	readonly listenOverflows: number | null;
	readonly listenDrops: number | null;
};

/** A live worker thread or child process of the server. */
export type WorkerRow = {
	readonly worker: WorkerRef;
	readonly mode: string;
	/** The connection it serves now, when it serves one at a time; null: idle, or several (see `connections`). */
	readonly connection: number | null;
	/** Open connections it serves, from the server's own accounting (a cluster child serves many). */
	readonly connections: number;
	readonly ageMs: number;
	/** Spawn to ready, as the server measured it; null if not (yet) known. */
	readonly startupMs: number | null;
};

export type OutputQueueFigures = {
	/** Sockets with replies waiting to be written. */
	readonly sockets: number;
	readonly bytes: number;
	readonly messages: number;
	/** The longest queues, longest first (at most 5). */
	readonly top: readonly {readonly id: number; readonly bytes: number; readonly messages: number}[];
};

export type EventLine = {
	readonly at: number;
	readonly level: 'info' | 'warn' | 'error';
	readonly text: string;
};

/** A listening socket of a watched server. */
export type ListenerFigures = {
	readonly address: string;
	readonly port: number;
	/** Connections completed by the kernel, not yet accepted by the server (Recv-Q of the listener). */
	readonly acceptQueue: number;
	/** The most the accept queue holds (the listen backlog, Send-Q of the listener). */
	readonly backlog: number;
};

/** One connection of a watched server, as the kernel's tables and /proc/<pid>/fd say. */
export type WatchedConnection = {
	readonly id: number;
	readonly peer: string;
	/** The socket's inode (`ino:` of ss); 0 while it waits in the accept queue. */
	readonly inode: number;
	/** The process that holds the socket (the last of several, children after parents); null: none yet. */
	readonly owner: number | null;
	/** Where it waits for the server (`accept`, `unread`); null: served. */
	readonly waitIn: WaitPlace | null;
};

/** What only `watch` knows: a server we did not start, seen from the kernel. */
export type WatchFigures = {
	readonly listeners: readonly ListenerFigures[];
	/** TcpExt ListenOverflows since watch started, for the whole network namespace; null: unreadable. */
	readonly listenOverflows: number | null;
	/** Bytes waiting in the kernel over all connections: unread by the server, and unsent to peers. */
	readonly unreadBytes: number;
	readonly unsentBytes: number;
	/** A connection that holds unread bytes this long without the server reading is "waiting". */
	readonly waitThresholdMs: number;
	/** The right that is missing to see everything, in one line; null when nothing is. */
	readonly missing: string | null;
	/** The line that says the watched process has ended (with --stay, watch runs on); null while it runs. */
	readonly ended?: string | null;
	/** The two readings the byte rates are measured between (epoch ms): rates are bytes over `to - from`. */
	readonly rateWindow?: {readonly from: number; readonly to: number} | null;
	/** Every connection of the server (at most 1000), with the process whose /proc/<pid>/fd holds its socket. */
	readonly connections?: readonly WatchedConnection[];
	/** The processes that hold a listener of the port, each the root of a tree (several with SO_REUSEPORT). */
	readonly owners?: readonly number[];
	/** Why thread states come from wchan and stat rather than syscall (`EACCES on /proc/…/syscall`); null: they do not. */
	readonly syscallRefused?: string | null;
};

/** Everything a frame shows, frozen at one tick. Panels render this and nothing else. */
export type Snapshot = {
	readonly at: number;
	readonly server: {
		readonly mode: string | null;
		readonly host: string;
		readonly port: number;
		readonly handler: string;
		readonly placement: Placement;
		/** The process the server runs in: the dashboard's own, or the server process; null while it is down. */
		readonly pid: number | null;
		/** Work per message, pool size, connection limit: as the server last reported them. */
		readonly settings: ServerSettings;
		/** How long the server process has said nothing, once that is long enough to mean it is stopped or hung; absent or null while it answers. */
		readonly notRespondingMs?: number | null;
		/** Cluster: how its children get their connections (`round-robin`, `shared`); else absent or null. */
		readonly accept?: string | null;
	};
	readonly workers: {
		/** Live worker threads and child processes of the running model. */
		readonly threads: number;
		readonly processes: number;
		/** Those serving a connection now. */
		readonly busy: number;
		/** The first ones, oldest first, at most WORKER_ROWS. */
		readonly rows: readonly WorkerRow[];
	};
	readonly connections: {
		readonly open: number;
		readonly active: number;
		readonly queued: number;
		readonly acceptedTotal: number;
		readonly sort: SortKey;
		readonly filter: string;
		/** Open connections that pass the filter (all of them without one). */
		readonly matching: number;
		/** Index of `rows[0]` among the matching connections, in the sort order. */
		readonly offset: number;
		readonly rows: readonly ConnectionRow[];
		/** Test clients the server has not accepted, those in the accept queue first, each group longest waiting first, at most PENDING_ROWS; absent from older senders. */
		readonly pending?: readonly PendingRow[];
	};
	readonly queue: {
		readonly waiting: number;
		/** How long the connection at the head of the line has waited so far. */
		readonly oldestWaitMs: number;
		readonly longestWaitMs: number;
		readonly acceptQueue: number | null;
		/** The sequential model's wait line. */
		readonly line: number;
		/** The pool's (and hybrid's) queue of connections waiting for a free thread. */
		readonly pool: number;
		/** The reactor's per-socket output queues; zeros in other models. */
		readonly output: OutputQueueFigures;
		/** --max-connections, null: no limit. */
		readonly maxConnections: number | null;
		readonly atLimit: boolean;
		/** Connections refused at the limit since the dashboard started. */
		readonly refusedTotal: number;
		/** Connections not read from because their client does not read its replies. */
		readonly stalled: number;
		/** Why connections were refused in the last few seconds; null when none were. */
		readonly refusing: string | null;
		/** Thread and process per client: the workers they start before refusing (`128 threads`); else absent or null. */
		readonly budget?: string | null;
		/** The kernel's side of the waits; absent from older senders, or before the first reading. */
		readonly kernel?: KernelWaits;
	};
	readonly traffic: {
		readonly messagesInPerSec: number;
		readonly messagesOutPerSec: number;
		readonly bytesInPerSec: number;
		readonly bytesOutPerSec: number;
		/** Reads (one `recv` each, whatever their size) per second: the unit of work even without newlines. */
		readonly readsPerSec: number;
		/** Newline-ended messages in since start. */
		readonly messagesTotal: number;
		readonly readsTotal: number;
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
		/** Connecting, with no answer to their SYNs yet (a full backlog drops them); absent from older senders. */
		readonly connecting?: number;
		/** Connected, but the server has no connection from them: they wait in the kernel's accept queue. */
		readonly unaccepted?: number;
		/** Replies that were not what `watch --handler` says a correct one is; absent when not checked. */
		readonly wrongReplies?: number;
		/** What the wrong replies look like and the flag that fits (`replies are upper-cased: try --handler upper`). */
		readonly replyHint?: string;
	};
	readonly os: OsFigures | null;
	readonly host: HostFigures | null;
	readonly events: readonly EventLine[];
	/** Present only when watching a server concurrency-top did not start. */
	readonly watch?: WatchFigures;
};
