import {Controller, type ControllerTiming} from '../controller.js';
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
