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

type WorkSettings = {readonly workMs: number; readonly delayMs: number};

/**
 * The server settings that make it do `work` per message, or null while this build's server has
 * none. When the models branch (ServerSettings.workMs/delayMs) is merged, this is the one line to
 * change: `return {workMs: work.workMs, delayMs: work.delayMs};`.
 */
export function workSettings(work: Workload): WorkSettings | null {
	void work;
	return null;
}

/** Whether io and cpu workloads can run; false skips them, with the reason, in the environment check. */
export const SERVER_HAS_WORK_SETTINGS = workSettings(workload('cpu', 1, 1)) !== null;

/** ServerHost as the models branch shapes it: settings as a third argument. Today's ignores it. */
type HostWithSettings = new (
	config: ServerConfig,
	emit: EmitEvent,
	settings: WorkSettings,
) => ServerHost;

/** Starts servers exactly as the dashboard does, through ServerHost, with the row's work per message. */
export function createHost(config: ServerConfig, emit: EmitEvent, work: Workload): ServerHost {
	const settings = workSettings(work);
	if (settings === null) return new ServerHost(config, emit);
	return new (ServerHost as unknown as HostWithSettings)(config, emit, settings);
}
