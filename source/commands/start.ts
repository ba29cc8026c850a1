import {Controller, DEFAULT_TIMING, type ControllerTiming} from '../controller.js';
import {isLoopback, type Options} from '../options.js';
import {ListenError} from '../server/listen.js';
import {fail} from './fail.js';

/**
 * Starts the server and its clients for the dashboard or `serve`: a port that cannot be had is the
 * user's to fix (one line, exit 2); listening beyond loopback is said out loud.
 */
export async function startController(
	options: Options,
	timing: ControllerTiming,
): Promise<Controller> {
	const controller = new Controller(options, timing);
	try {
		await controller.start();
	} catch (error: unknown) {
		await controller.stop();
		if (error instanceof ListenError) fail(error.message);
		throw error;
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
