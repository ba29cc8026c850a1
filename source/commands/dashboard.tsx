import {render} from 'ink';
import {Controller, DEFAULT_TIMING} from '../controller.js';
import {toJsonLine} from '../json-output.js';
import type {Options} from '../options.js';
import type {ReachOptions} from '../reach-options.js';
import {startMetricsFor} from './reach.js';
import {ListenError} from '../server/listen.js';
import {App} from '../ui/app.js';
import {fail} from './fail.js';

/** `concurrency-top`: the server, its test clients and the live dashboard (or JSON lines when headless). */
export async function runDashboard(options: Options, reach?: ReachOptions): Promise<void> {
	const headless = options.json || !process.stdout.isTTY;
	// Headless output is a log: one line a second, when the rates roll, is plenty.
	const timing = headless ? {...DEFAULT_TIMING, tickMs: DEFAULT_TIMING.rollMs} : DEFAULT_TIMING;
	const controller = new Controller(options, timing);
	try {
		await controller.start();
	} catch (error: unknown) {
		await controller.stop();
		if (error instanceof ListenError) fail(error.message);
		throw error;
	}
	const metrics = await startMetricsFor(controller, reach);

	let quitting = false;
	const quit = async (code: number, beforeExit?: () => void) => {
		if (quitting) return;
		quitting = true;
		beforeExit?.();
		await Promise.all([controller.stop(), metrics?.close()]);
		process.exit(code);
	};

	if (headless) {
		controller.subscribe((snapshot) => {
			process.stdout.write(`${JSON.stringify(toJsonLine(snapshot))}\n`);
		});
		for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
			process.on(signal, () => void quit(0));
		return;
	}
	const ink = render(<App source={controller} onQuit={() => void quit(0, () => ink.unmount())} />, {
		exitOnCtrlC: false,
	});
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
		process.on(signal, () => void quit(0, () => ink.unmount()));
	}
}
