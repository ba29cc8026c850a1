import type {LoadErrors} from './loadgen.js';

/** Bench orchestrator ↔ load workers and server processes: plain objects over IPC. */

export type WorkerCommand =
	| {
			readonly type: 'open';
			readonly host: string;
			readonly port: number;
			readonly count: number;
			readonly depth: number;
			readonly size: number;
			/** One message each, then quiet: for idle-connection counts and memory. */
			readonly idle: boolean;
			/** Each client's messages due this many a second, timed from when due; absent or null: closed loop. */
			readonly ratePerSec?: number | null;
			/** A message without its reply this long counts in `errors.messageTimeouts`. */
			readonly messageTimeoutMs?: number;
	  }
	| {readonly type: 'measure'}
	| {readonly type: 'status'}
	| {readonly type: 'collect'}
	| {readonly type: 'close'};

export type WorkerStatus = {
	readonly type: 'status' | 'collect';
	readonly clients: number;
	readonly connected: number;
	/** Connections that have had their first reply. */
	readonly firstReplies: number;
	/** From the `open` command to the latest first reply so far. */
	readonly lastFirstReplyMs: number | null;
	/** Round trips completed since `measure`. */
	readonly messages: number;
	/** Failed connects and connections since `open`; messages without their reply in time since `measure`. */
	readonly errors: LoadErrors;
	readonly seconds: number;
	/** Histogram buckets (see metrics/latency.ts); empty for `status`. */
	readonly counts: number[];
	readonly maxMicros: number;
	readonly sumMicros: number;
	readonly sumSquares: number;
};

export type WorkerReply = WorkerStatus | {readonly type: 'closed'};

/** Sent by a server process (a model's or the plain baseline) once it listens. */
export type ServerReady = {readonly type: 'ready'; readonly port: number; readonly pid: number};
