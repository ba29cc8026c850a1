import type {EmitEvent} from '../server/protocol.js';
import {EchoServer} from '../server/echo-server.js';
import type {ServerConfig} from '../server/mode.js';
import {DEFAULT_SETTINGS} from '../server/settings.js';

/** Work per message: none (echo), I/O-bound (a wait before the reply) or CPU-bound (busy time). */
export const WORKLOAD_NAMES = ['echo', 'io', 'cpu'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

export type Workload = {
	readonly name: WorkloadName;
	/** CPU busy time per message. */
	readonly workMs: number;
	/** Simulated I/O wait per message. */
	readonly delayMs: number;
	/** Threads of the pool model (--pool-size). */
	readonly poolSize: number;
};

export function workload(
	name: WorkloadName,
	workMs: number,
	delayMs: number,
	poolSize: number = DEFAULT_SETTINGS.poolSize,
): Workload {
	if (name === 'cpu') return {name, workMs, delayMs: 0, poolSize};
	if (name === 'io') return {name, workMs: 0, delayMs, poolSize};
	return {name, workMs: 0, delayMs: 0, poolSize};
}

/** Starts servers exactly as the dashboard does, through EchoServer, with the row's work per message. */
export function createHost(config: ServerConfig, emit: EmitEvent, work: Workload): EchoServer {
	return new EchoServer(config, emit, {
		...DEFAULT_SETTINGS,
		workMs: work.workMs,
		delayMs: work.delayMs,
		poolSize: work.poolSize,
	});
}
