import {jsonLine, toJsonLine} from '../metrics/json-output.js';
import type {Options} from '../options/options.js';
import type {EndpointOptions} from '../options/endpoints.js';
import {startMetricsFor} from './metrics-endpoint.js';
import {startController, timingFor} from './start.js';
import {isUnicodeSafe, runFullScreen} from '../terminal/index.js';
import {App} from '../ui/app.js';
import {onQuitSignal} from '../shared/quit-signals.js';

/** `concurrency-top`: the server, its test clients and the live dashboard (or JSON lines when headless). */
export async function runDashboard(options: Options, reach?: EndpointOptions): Promise<void> {
	const headless = options.json || !process.stdout.isTTY;
	const timing = timingFor(options.interval);
	const controller = await startController(options, timing, reach);
	const metrics = await startMetricsFor(controller, reach);

	const stop = async () => {
		await Promise.all([controller.stop(), metrics?.close()]);
	};

	if (headless) {
		controller.subscribe((snapshot) => {
			process.stdout.write(jsonLine(toJsonLine(snapshot)));
		});
		onQuitSignal(() => void stop().then(() => process.exit(0)));
		return;
	}
	await runFullScreen(<App source={controller} ascii={!isUnicodeSafe()} />, {
		noColor: !options.color,
		cleanup: stop,
	});
}
