import type {ServerSettings} from './protocol.js';

/**
 * The one owner of what a server can be told to change while it runs: the defaults, the limits the
 * command line checks them against (source/options/options.ts, bench and compare alike), and the steps the
 * keys walk. Everyone else reads these or receives settings in a `settings` event.
 */
export const DEFAULT_SETTINGS: ServerSettings = {
	workMs: 0,
	delayMs: 0,
	poolSize: 10,
	maxConnections: null,
	idleTimeoutMs: null,
	maxWorkers: null,
};

export const MAX_POOL_SIZE = 1000;
export const MAX_WORK_MS = 10_000;
export const MAX_DELAY_MS = 60_000;
export const MAX_CONNECTIONS = 100_000;
export const MAX_IDLE_TIMEOUT = 86_400;
export const MAX_WORKERS = 10_000;

/** The steps `work-up`/`work-down` and `delay-up`/`delay-down` walk through, in ms per message. */
export const WORK_STEPS_MS = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] as const;

/** The next step from `value` in `direction`, clamped to [0, max]. */
export function stepMs(value: number, direction: 1 | -1, max: number): number {
	if (direction === 1) return Math.min(max, WORK_STEPS_MS.find((step) => step > value) ?? value);
	return [...WORK_STEPS_MS].reverse().find((step) => step < value) ?? 0;
}

/** The pool size one `+`/`-` press leads to, kept within 1 and MAX_POOL_SIZE. */
export function stepPoolSize(value: number, by: number): number {
	return Math.max(1, Math.min(MAX_POOL_SIZE, value + by));
}

/** The server settings the command-line options ask for (--idle-timeout is in seconds there). */
export function settingsFromOptions(options: {
	readonly workMs: number;
	readonly delayMs: number;
	readonly poolSize: number;
	readonly maxConnections: number | null;
	readonly idleTimeout: number | null;
	readonly maxWorkers: number | null;
}): ServerSettings {
	return {
		workMs: options.workMs,
		delayMs: options.delayMs,
		poolSize: options.poolSize,
		maxConnections: options.maxConnections,
		idleTimeoutMs: options.idleTimeout === null ? null : options.idleTimeout * 1000,
		maxWorkers: options.maxWorkers,
	};
}
