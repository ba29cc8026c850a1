/**
 * Every message that crosses a boundary: server mode → metrics store (in-process, or over IPC from a
 * worker thread or child process), and dashboard ↔ test-client process. Plain objects only, so each
 * one survives structured clone and `process.send` unchanged.
 */

/** Who handles a connection: the main event loop, a worker thread, or a child process. */
export type HandledBy =
	| {readonly kind: 'main'}
	| {readonly kind: 'thread'; readonly id: number}
	| {readonly kind: 'process'; readonly pid: number};

export type ConnectionState = 'queued' | 'active';

/** Per-connection traffic since the last flush: [id, bytesIn, bytesOut, messagesIn, messagesOut]. */
export type TrafficDelta = readonly [
	id: number,
	bytesIn: number,
	bytesOut: number,
	messagesIn: number,
	messagesOut: number,
];

export type ServerEvent =
	| {
			readonly type: 'listening';
			readonly mode: string;
			readonly host: string;
			readonly port: number;
			readonly at: number;
	  }
	| {
			readonly type: 'conn-open';
			readonly id: number;
			readonly peer: string;
			readonly state: ConnectionState;
			readonly by: HandledBy;
			readonly at: number;
	  }
	| {readonly type: 'conn-serve'; readonly id: number; readonly by: HandledBy; readonly at: number}
	| {readonly type: 'conn-close'; readonly id: number; readonly at: number}
	| {readonly type: 'traffic'; readonly deltas: readonly TrafficDelta[]}
	| {
			readonly type: 'log';
			readonly level: 'info' | 'warn' | 'error';
			readonly text: string;
			readonly at: number;
	  };

export type EmitEvent = (event: ServerEvent) => void;

/** Dashboard → test-client process. */
export type ClientCommand =
	| {
			readonly type: 'configure';
			readonly host: string;
			readonly port: number;
			readonly ratePerSecond: number;
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
	readonly firstReplyMs: number | null;
};

/** Test-client process → dashboard, a few times a second. */
export type ClientReport = {
	readonly type: 'report';
	readonly clients: readonly ClientStatus[];
	/** Round-trip times completed since the last report, in microseconds. */
	readonly rttMicros: readonly number[];
};
