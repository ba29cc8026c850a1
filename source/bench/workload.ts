import type {EmitEvent} from '../protocol.js';
import {ServerHost} from '../server/host.js';
import type {ServerConfig} from '../server/mode.js';

/** Work per message: none (echo), I/O-bound (a wait before the reply) or CPU-bound (busy time). */
export const WORKLOAD_NAMES = ['echo', 'io', 'cpu'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

export type Workload = {
	readonly name: WorkloadName;
	/** CPU busy time per message. */
	readonly workMs: number;
	/** Simulated I/O wait per message. */
	readonly delayMs: number;
};

export function workload(name: WorkloadName, workMs: number, delayMs: number): Workload {
	if (name === 'cpu') return {name, workMs, delayMs: 0};
	if (name === 'io') return {name, workMs: 0, delayMs};
	return {name, workMs: 0, delayMs: 0};
}

/**
 * Whether this build's server can do work per message. The one place to change when the models
 * branch (ServerSettings.workMs/delayMs, ServerHost's third argument) is merged: return true.
 */
export const SERVER_HAS_WORK_SETTINGS = false;

/**
 * Starts servers exactly as the dashboard does, through ServerHost. When the models branch lands,
 * this becomes `new ServerHost(config, emit, {workMs: work.workMs, delayMs: work.delayMs})`.
 */
export function createHost(config: ServerConfig, emit: EmitEvent, work: Workload): ServerHost {
	void work;
	return new ServerHost(config, emit);
}
