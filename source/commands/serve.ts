import {jsonLine, toJsonLine} from '../metrics/json-output.js';
import type {Options} from '../options/options.js';
import type {EndpointOptions} from '../options/endpoints.js';
import {ControlServer} from '../remote/control-server.js';
import {socketPathFor} from '../remote/endpoint.js';
import {ensurePrivateDirectory} from '../remote/private-folder.js';
import {VERSION} from '../shared/version.js';
import {startMetricsFor} from './metrics-endpoint.js';
import {fail} from './fail.js';
import {startController, timingFor} from './start.js';
import {onQuitSignal} from '../shared/quit-signals.js';

const log = (text: string) =>
	process.stderr.write(`${new Date().toISOString()} concurrency-top: ${text}\n`);

/**
 * `concurrency-top serve`: the Controller with no screen. Logs to stderr, JSON lines on stdout with
 * --json (and one on SIGUSR1), and observers on a control socket: `attach` draws the dashboard.
 */
export async function runServe(options: Options, reach: EndpointOptions): Promise<void> {
	const timing = timingFor(options.interval);
	const controller = await startController(options, timing, reach);
	const metrics = await startMetricsFor(controller, reach, log);
	const control = new ControlServer(controller, {
		version: VERSION,
		token: reach.control.token,
		log,
	});
	let where: string;
	try {
		if (reach.control.port === null) {
			const endpoint = await control.listenSocket(
				socketPathFor(process.pid, ensurePrivateDirectory()),
			);
			where = endpoint.kind === 'socket' ? endpoint.path : '';
		} else {
			const endpoint = await control.listenTcp(reach.control.host, reach.control.port);
			where = endpoint.kind === 'tcp' ? `${reach.control.host}:${endpoint.port}` : '';
		}
	} catch (error: unknown) {
		await Promise.all([controller.stop(), metrics?.close()]);
		const message = error instanceof Error ? error.message : String(error);
		fail(`control: ${message.replace('--port', '--control-port')}`);
	}
	log(`observers: concurrency-top attach ${where}`);

	// The event log, every line as it happens.
	controller.onEvent((event) => {
		process.stderr.write(
			`${new Date(event.at).toISOString()} ${event.level.padEnd(5)} ${event.text}\n`,
		);
	});
	const printJson = () => process.stdout.write(jsonLine(toJsonLine(controller.snapshot)));
	if (options.json) setInterval(printJson, timing.rollMs);
	process.on('SIGUSR1', printJson);

	let quitting = false;
	const quit = async () => {
		if (quitting) return;
		quitting = true;
		log('stopping');
		await Promise.all([control.close(), controller.stop(), metrics?.close()]);
		process.exit(0);
	};
	onQuitSignal(() => void quit());
}
