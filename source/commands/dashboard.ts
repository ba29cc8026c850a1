import {jsonLine, toJsonLine} from '../metrics/json-output.js';
import type {Options} from '../options/options.js';
import type {EndpointOptions} from '../options/endpoints.js';
import {startMetricsFor} from './metrics-endpoint.js';
import {startController, timingFor} from './start.js';
import {onQuitSignal} from '../shared/quit-signals.js';
import {keyboardInput} from '../terminal/keyboard.js';

/** `concurrency-top`: the server, its test clients and the live dashboard (or JSON lines when headless). */
export async function runDashboard(options: Options, reach?: EndpointOptions): Promise<void> {
	const headless = options.json || !process.stdout.isTTY;
	// The keys come from stdin or /dev/tty; with neither, one line before anything starts.
	if (!headless) keyboardInput();
	// The screen's code (React, Ink, Yoga: most of the program) is read and compiled while the
	// server starts listening and `ss` reads its accept queue. A failure to load it is reported
	// when it is awaited below, not as an unhandled rejection meanwhile.
	const screen = headless ? undefined : import('./dashboard-screen.js');
	screen?.catch(() => {});
	const controller = await startController(options, timingFor(options.interval), reach);
	const metrics = await startMetricsFor(controller, reach);

	const stop = async () => {
		await Promise.all([controller.stop(), metrics?.close()]);
	};

	if (screen === undefined) {
		controller.subscribe((snapshot) => {
			process.stdout.write(jsonLine(toJsonLine(snapshot)));
		});
		onQuitSignal(() => void stop().then(() => process.exit(0)));
		return;
	}
	const {showDashboard} = await screen;
	await showDashboard(controller, options.color, stop);
}
