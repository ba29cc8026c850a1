import {Controller, DEFAULT_TIMING, type ControllerTiming} from '../live/controller.js';
import {isLoopback} from '../options/hosts.js';
import {type Options} from '../options/options.js';
import {ListenError} from '../server/listen.js';
import {fdConnectionCap, openFileLimit, reserveMetricsFds} from '../server/fd-limit.js';
import {MODES} from '../server/modes/index.js';
import type {EndpointOptions} from '../options/endpoints.js';
import type {ModeName} from '../server/mode.js';
import {fail} from './fail.js';

/**
 * Starts the server and its clients for the dashboard or `serve`: a port that cannot be had is the
 * user's to fix (one line, exit 2); listening beyond loopback is said out loud.
 */
export async function startController(
	options: Options,
	timing: ControllerTiming,
	reach?: EndpointOptions,
): Promise<Controller> {
	// The metrics endpoint shares this process's descriptors: every cap counts its connections.
	if (reach?.metrics) reserveMetricsFds();
	const controller = new Controller(options, timing);
	try {
		await controller.start();
	} catch (error: unknown) {
		await controller.stop();
		if (error instanceof ListenError) fail(error.message);
		throw error;
	}
	const small = smallFdCap(options.mode);
	if (small) {
		process.stderr.write(`concurrency-top: warning: ${small}\n`);
		controller.log('warn', small);
	}
	if (!isLoopback(options.host)) {
		const warning = `listening on ${options.host}:${controller.port}: anyone who can reach this machine can connect`;
		process.stderr.write(`concurrency-top: warning: ${warning}\n`);
		controller.log('warn', warning);
	}
	return controller;
}

/**
 * The clocks for --interval S: a frame (and a JSON line) every S seconds, rates over those S seconds
 * and still per second; /proc read as often, the host's CPU no more often than by default.
 */
export function timingFor(intervalS: number): ControllerTiming {
	const ms = Math.round(intervalS * 1000);
	return {tickMs: ms, rollMs: ms, procMs: ms, hostMs: Math.max(DEFAULT_TIMING.hostMs, ms)};
}

/** Below this many connections allowed by `ulimit -n`, the start says so: the cap is otherwise a surprise. */
const SMALL_FD_CAP = 100;

/** The warning for a `ulimit -n` that leaves room for few connections, or null. */
export function smallFdCap(mode: ModeName, limit = openFileLimit()): string | null {
	if (limit === null) return null;
	const cap = fdConnectionCap(limit, MODES[mode].fdCost, MODES[mode].fdFixed?.(limit));
	if (cap >= SMALL_FD_CAP) return null;
	return `ulimit -n ${limit} leaves room for ${cap} connection${cap === 1 ? '' : 's'} (the rest is kept for the dashboard's own files): raise it to 1024 or more for more`;
}
