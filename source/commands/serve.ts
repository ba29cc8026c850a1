import {jsonLine, toJsonLine} from '../metrics/json-output.js';
import type {Options} from '../options/options.js';
import type {EndpointOptions} from '../options/endpoints.js';
import {ControlServer} from '../remote/control-server.js';
import {socketPathFor} from '../remote/endpoint.js';
import {randomBytes} from 'node:crypto';
import {ensurePrivateDirectory, removeTokenFile, writeTokenFile} from '../remote/private-folder.js';
import {canTellOwners} from '../remote/tcp-owner.js';
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
	// Where no uid can be told (no /proc), a control port with no token given gets one made here,
	// left 0600 in the private folder for this user's attach: no secret on the command line.
	let token = reach.control.token;
	let tokenFile: string | undefined;
	if (reach.control.port !== null && token === null && !canTellOwners()) {
		token = randomBytes(24).toString('base64url');
		tokenFile = writeTokenFile(process.pid, token, ensurePrivateDirectory());
	}
	const control = new ControlServer(controller, {version: VERSION, token, log});
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
		if (tokenFile !== undefined) removeTokenFile(process.pid);
		fail(`control: ${message.replaceAll('--port', '--control-port')}`);
	}
	log(`observers: concurrency-top attach ${where}`);
	if (reach.control.port !== null) {
		log(`control: ${control.whoMayAttach()}`);
		if (tokenFile !== undefined)
			log(`control: the token is in ${tokenFile} (0600), which attach reads`);
	}

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
		if (tokenFile !== undefined) removeTokenFile(process.pid);
		process.exit(0);
	};
	onQuitSignal(() => void quit());
}
