import type {EmitEvent} from '../protocol.js';
import type {TrafficCounter} from './connection.js';
import type {HandlerName} from './handler.js';

/** The concurrency models, in the order the number keys and `m` walk through them. */
export const MODE_NAMES = ['sequential', 'async'] as const;
export type ModeName = (typeof MODE_NAMES)[number];

export const MODE_SUMMARY: Readonly<Record<ModeName, string>> = {
	sequential: 'one client at a time; the rest wait in line',
	async: "one event loop serves every client (Node's asyncio)",
};

export type ServerConfig = {
	readonly host: string;
	/** 0 asks the kernel for a free port. */
	readonly port: number;
	readonly handler: HandlerName;
};

/** A running server in one concurrency model. */
export type ServerMode = {
	readonly name: ModeName;
	/** Listens and resolves with the bound port. */
	start(): Promise<number>;
	/** Stops accepting, ends every connection and everything the mode started; resolves when all are gone. */
	stop(): Promise<void>;
};

export type ModeContext = {
	readonly config: ServerConfig;
	readonly emit: EmitEvent;
	/** Connection ids are unique across mode switches, so the store never confuses two connections. */
	readonly nextConnectionId: () => number;
	/** Where the mode counts bytes and messages; the host flushes it into `traffic` events. */
	readonly traffic: TrafficCounter;
};

export type ModeFactory = (context: ModeContext) => ServerMode;
