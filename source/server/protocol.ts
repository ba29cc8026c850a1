/**
 * Every message that crosses a boundary: server mode → metrics store (in-process, or over IPC from a
 * worker thread or child process), and dashboard ↔ test-client process. Plain objects only, so each
 * one survives structured clone and `process.send` unchanged.
 */
import type {HandlerName} from './handler.js';

/** Who handles a connection: the main event loop, a worker thread, or a child process. */
export type HandledBy =
	| {readonly kind: 'main'}
	| {readonly kind: 'thread'; readonly id: number}
	| {readonly kind: 'process'; readonly pid: number};

export type ConnectionState = 'queued' | 'active';

/** A worker thread or child process that serves connections; identifies it in events and rows. */
export type WorkerRef =
	{readonly kind: 'thread'; readonly id: number} | {readonly kind: 'process'; readonly pid: number};

/**
 * Where a queued connection waits in the server (the kernel's accept queue is read from /proc).
 * A watched server says nothing: `accept` is the kernel's accept queue, `unread` accepted but its
 * bytes not read yet.
 */
export type WaitPlace = 'line' | 'pool' | 'accept' | 'unread';

/** What a server can be told to change while it runs. */
export type ServerSettings = {
	/** CPU busy time per message, spent wherever the model runs its handlers. */
	readonly workMs: number;
	/** Simulated I/O wait per message; replies stay in order. */
	readonly delayMs: number;
	/** Worker threads of the `pool` model. */
	readonly poolSize: number;
	/** Open connections at most; further ones are refused (closed at once). null: no limit. */
	readonly maxConnections: number | null;
	/** Connections silent this long (ms) are closed; null: never (the default). */
	readonly idleTimeoutMs?: number | null;
	/** --max-workers: replaces the computed budget of thread and process per client; null: computed. */
	readonly maxWorkers?: number | null;
};

/** One socket's reply queue in the reactor: [connection id, bytes, messages]. */
export type OutputQueueRow = readonly [id: number, bytes: number, messages: number];

/**
 * Per-connection traffic since the last flush: [id, bytesIn, bytesOut, messagesIn, messagesOut,
 * reads]. Messages are newline-ended lines; reads are the chunks the socket delivered (one `recv`
 * each), which count even when a client sends raw bytes without newlines.
 */
export type TrafficDelta = readonly [
	id: number,
	bytesIn: number,
	bytesOut: number,
	messagesIn: number,
	messagesOut: number,
	reads: number,
];

export type ServerEvent =
	| {
			readonly type: 'listening';
			readonly mode: string;
			readonly host: string;
			readonly port: number;
			/** Thread and process per client: how many workers they start before refusing; else absent. */
			readonly budget?: {readonly limit: number; readonly what: string; readonly why: string};
			/** Cluster: how its children get their connections; else absent. */
			readonly accept?: ClusterAccept;
			readonly at: number;
	  }
	| {
			readonly type: 'conn-open';
			readonly id: number;
			readonly peer: string;
			readonly state: ConnectionState;
			readonly by: HandledBy;
			/** Set when `state` is `queued`. */
			readonly waitIn?: WaitPlace;
			readonly at: number;
	  }
	| {readonly type: 'conn-serve'; readonly id: number; readonly by: HandledBy; readonly at: number}
	| {readonly type: 'conn-close'; readonly id: number; readonly at: number}
	/**
	 * The client does not read its replies: the server's unsent bytes passed the high-water mark and
	 * it stopped reading from the client (`stalled: true`), or the backlog drained (`false`).
	 */
	| {readonly type: 'stall'; readonly id: number; readonly stalled: boolean; readonly at: number}
	| {readonly type: 'traffic'; readonly deltas: readonly TrafficDelta[]}
	| {
			readonly type: 'worker-up';
			readonly worker: WorkerRef;
			readonly mode: string;
			/** The connection it starts with, if any (thread and process per client). */
			readonly connection: number | null;
			/** From spawn to ready; null when not measured. */
			readonly startupMs: number | null;
			readonly at: number;
	  }
	| {
			readonly type: 'worker-down';
			readonly worker: WorkerRef;
			readonly mode: string;
			/** `exit 0`, `SIGKILL`, an error message. */
			readonly reason: string;
			/** False when it crashed or was killed from outside. */
			readonly expected: boolean;
			readonly at: number;
	  }
	| {
			readonly type: 'worker-busy';
			readonly worker: WorkerRef;
			/** The connection it now serves; null: idle. */
			readonly connection: number | null;
			readonly at: number;
	  }
	| {
			/** The reactor's per-socket reply queues, sent when they change (at most ~10 times a second). */
			readonly type: 'output-queues';
			/** Sockets with at least one reply waiting to be written. */
			readonly sockets: number;
			readonly bytes: number;
			readonly messages: number;
			/** The longest queues, longest first, at most 5. */
			readonly top: readonly OutputQueueRow[];
			readonly at: number;
	  }
	| {
			readonly type: 'refused';
			readonly peer: string;
			readonly limit: number;
			/** What the limit is: `--max-connections 50`, `1205 threads (half the memory)`. */
			readonly why: string;
			readonly at: number;
	  }
	| {readonly type: 'settings'; readonly settings: ServerSettings; readonly at: number}
	| {
			readonly type: 'log';
			readonly level: 'info' | 'warn' | 'error';
			readonly text: string;
			readonly at: number;
	  };

export type EmitEvent = (event: ServerEvent) => void;

/**
 * Main thread → worker thread (thread, pool and hybrid models). The worker serves the socket itself
 * (blocking-echo.ts): the main thread hands it the descriptor and keeps the handle only to close it
 * once the worker is done; figures and requests travel through the thread's shared block.
 */
export type ThreadCommand =
	/** Serve connection `id` on descriptor `fd` until it ends; answer `done`. */
	| {readonly type: 'serve'; readonly id: number; readonly fd: number}
	/** Throw an uncaught error: what a bug in a handler does to its thread (while it serves, ASK_CRASH). */
	| {readonly type: 'crash'}
	/**
	 * Sequential: listen on the thread's own socket and serve each client inside the accept callback,
	 * so nothing more is accepted while one is served; answer `listening` or `listen-failed`.
	 */
	| {
			readonly type: 'listen';
			readonly host: string;
			readonly port: number;
			readonly backlog: number;
	  }
	/** Sequential: stop listening (the kernel's queue is reset with it). */
	| {readonly type: 'unlisten'};

/**
 * Worker thread → main thread: ready to serve (its code loaded and warmed up, in `warmUpMs`); done
 * with connection `id` (`end`: end of stream, asked to, or the error that ended it). The descriptor
 * is the main thread's to close after `done`, never before.
 */
export type ThreadReply =
	| {readonly type: 'ready'; readonly warmUpMs: number | null}
	| {readonly type: 'done'; readonly id: number; readonly end: string}
	| {readonly type: 'listening'; readonly port: number}
	| {readonly type: 'listen-failed'; readonly code: string; readonly message: string}
	/** Sequential: the thread accepted a client and serves it now (its id is the main thread's to give: `done` says -1). */
	| {
			readonly type: 'accepted';
			readonly peer: string;
			readonly localPort: number;
			readonly remotePort: number;
	  };

/** Parent → child process (process and cluster models); `socket` travels with a handle. */
export type ChildCommand =
	| {
			readonly type: 'socket';
			readonly id: number;
			readonly handler: 'echo' | 'upper';
			readonly settings: ServerSettings;
	  }
	| {
			readonly type: 'cluster';
			readonly host: string;
			readonly port: number;
			readonly handler: 'echo' | 'upper';
			readonly settings: ServerSettings;
			/** The listen backlog: every child's listen() on the shared socket passes the same. */
			readonly backlog: number;
			/** How many children share the listener: each takes its share of --max-connections. */
			readonly size: number;
			/**
			 * `shared`: the child listens on the shared socket and accepts for itself; `round-robin`:
			 * it does not listen, the parent accepts and sends it every size-th connection (`conn`).
			 */
			readonly accept: ClusterAccept;
	  }
	/** Cluster, round-robin: a connection the parent accepted, sent with it; the child serves it. */
	| {readonly type: 'conn'}
	| {readonly type: 'settings'; readonly settings: ServerSettings}
	/** Cluster: a copy of the child's listening handle, sent with it (`copy-listener`). */
	| {readonly type: 'listener-copy'};

/**
 * How cluster children get their connections: `round-robin` (the default) the parent accepts and
 * hands them out in turn, as Node's cluster does by default; `shared` every child accepts from the
 * one listening socket and the kernel picks (it woke the same child for nearly every connection).
 */
export const CLUSTER_ACCEPTS = ['round-robin', 'shared'] as const;
export type ClusterAccept = (typeof CLUSTER_ACCEPTS)[number];

/** Child process → parent. Cluster children number their connections themselves (`local`). */
export type ChildReport =
	| {readonly type: 'ready'; readonly port?: number}
	/** Cluster: send this listening handle (sent with it) back `count` times, each a descriptor of its own (acceptor.ts says why). */
	| {readonly type: 'copy-listener'; readonly count: number}
	/** The child holds the socket it was sent; the parent's copy is closed by then. */
	| {readonly type: 'owned'; readonly id: number}
	| {readonly type: 'traffic'; readonly deltas: readonly TrafficDelta[]}
	| {readonly type: 'conn-open'; readonly local: number; readonly peer: string}
	| {readonly type: 'conn-close'; readonly local: number}
	| {readonly type: 'refused'; readonly peer: string}
	/** `id`: the connection's id (process per client) or local number (cluster). */
	| {readonly type: 'stall'; readonly id: number; readonly stalled: boolean}
	| {readonly type: 'idle-closed'; readonly id: number}
	/** A cluster child could not listen: the kernel's code (EADDRINUSE, EACCES, ...), to explain in one line. */
	| {readonly type: 'listen-failed'; readonly code: string; readonly message: string};

/** Dashboard → server process (`--placement worker`). */
export type ServerCommand =
	| {
			readonly type: 'start';
			readonly request: number;
			readonly mode: string;
			readonly port: number;
	  }
	| {readonly type: 'stop'; readonly request: number}
	| {readonly type: 'configure'; readonly settings: Partial<ServerSettings>}
	| {readonly type: 'crash-worker'};

/** Server process → dashboard. */
export type ServerReport =
	| {readonly type: 'events'; readonly events: readonly ServerEvent[]}
	| {readonly type: 'done'; readonly request: number; readonly port: number}
	| {readonly type: 'failed'; readonly request: number; readonly message: string}
	/** Sent every HEARTBEAT_MS, so that a stopped or hung server process shows as one. */
	| {readonly type: 'alive'};

/** How often the server process says it is alive, whatever else it reports. */
export const HEARTBEAT_MS = 500;

/** Dashboard → test-client process. */
export type ClientCommand =
	| {
			readonly type: 'configure';
			readonly host: string;
			readonly port: number;
			readonly ratePerSecond: number;
			/** Check each reply against this handler's (watch --handler); absent: any reply counts. */
			readonly expect?: HandlerName;
			/** Test clients at most, whoever asks for them (flags, keys, observers); beyond, `add` is cut. */
			readonly maxClients: number;
			/** `fixed`: round trips timed from each message's due time (`clients --fixed-rate`); absent: closed. */
			readonly schedule?: 'closed' | 'fixed';
			/** A message without its reply this long counts in `messageTimeouts`; absent: never. */
			readonly messageTimeoutMs?: number;
	  }
	| {readonly type: 'add'; readonly count: number}
	| {readonly type: 'drop'; readonly count: number | 'all'};

export type ClientPhase = 'connecting' | 'waiting' | 'answered' | 'reconnecting';

export type ClientStatus = {
	readonly id: number;
	/** Local end of the client's socket, formatted like the server's peer names. */
	readonly local: string | null;
	readonly phase: ClientPhase;
	readonly lastRttMs: number | null;
	/** When the current connection was made; a client still `waiting` has had no reply since. */
	readonly connectedAt: number | null;
	/**
	 * While `connecting` or `reconnecting` with a connect under way: when that connect began (its
	 * first SYN). A connect that long unanswered had its SYNs dropped (a full accept queue); `local`
	 * is then its socket's local end, so the kernel's SYN-SENT socket can be matched to it.
	 * Absent from reports of older senders.
	 */
	readonly connectingSince?: number | null;
	readonly firstReplyMs: number | null;
};

/**
 * Failed connects and connections, as load-test tools count them: connects the server refused,
 * connections reset (ECONNRESET, EPIPE), closed by the server, timed out (a connect, or a first
 * reply, that did not come in the time allowed), and anything else.
 */
export type ConnectionErrors = {
	readonly refused: number;
	readonly resets: number;
	readonly closed: number;
	readonly timeouts: number;
	readonly other: number;
};

export const NO_ERRORS: ConnectionErrors = {
	refused: 0,
	resets: 0,
	closed: 0,
	timeouts: 0,
	other: 0,
};

/** Test-client process → dashboard, a few times a second. */
export type ClientReport = {
	readonly type: 'report';
	readonly clients: readonly ClientStatus[];
	/** Round-trip times completed since the last report, in microseconds. */
	readonly rttMicros: readonly number[];
	/** Since the process started (absent from reports of older senders). */
	readonly errors?: ConnectionErrors;
	/** Bytes received from the server since the process started. */
	readonly bytesIn?: number;
	/** Reply lines that were not what `expect` says, since the process started; absent without it. */
	readonly wrongReplies?: number;
	/** What the last wrong reply looked like and the flag that fits it; absent while none was wrong. */
	readonly replyHint?: string;
	/** Clients asked for and not added because the cap (maxClients) was reached, since the process started. */
	readonly capped?: number;
	/** Connections established since the process started (absent from reports of older senders). */
	readonly connectsTotal?: number;
	/** Messages whose reply did not come within `messageTimeoutMs`, since the process started. */
	readonly messageTimeouts?: number;
};

/** Where the server runs: in the dashboard's process, or in a server process it supervises. */
export type Placement = 'in-process' | 'worker' | 'watched';
