import {jsonLine, toJsonLine} from '../metrics/json-output.js';
import type {Options} from '../options/options.js';
import type {EndpointOptions} from '../options/endpoints.js';
import {resolveTarget} from '../remote/endpoint.js';
import {AttachError, RemoteSource} from '../remote/remote-source.js';
import {isUnicodeSafe, keyboardInput, runFullScreen} from '../terminal/index.js';
import {App} from '../ui/app.js';
import {VERSION} from '../shared/version.js';
import {onQuitSignal} from '../shared/quit-signals.js';

/**
 * `concurrency-top attach [target]`: the dashboard of a `serve` elsewhere, keys included. Quitting
 * detaches; the server runs on. Headless (--json or not a terminal): its snapshots as JSON lines.
 */
export async function runAttach(
	options: Options,
	reach: EndpointOptions,
	args: readonly string[],
): Promise<void> {
	const target = resolveTarget(args[0]);
	if (!options.json && process.stdout.isTTY) keyboardInput();
	let source: RemoteSource;
	try {
		source = await RemoteSource.connect(target, {version: VERSION, token: reach.control.token});
	} catch (error: unknown) {
		if (error instanceof AttachError) {
			process.stderr.write(`concurrency-top: ${error.message}\n`);
			process.exit(1);
		}
		throw error;
	}

	if (options.json || !process.stdout.isTTY) {
		let lastSecond = 0;
		source.subscribe((snapshot) => {
			const second = Math.floor(snapshot.at / 1000);
			if (second === lastSecond) return;
			lastSecond = second;
			process.stdout.write(jsonLine(toJsonLine(snapshot)));
		});
		source.onClose = (reason) => {
			process.stderr.write(`concurrency-top: ${reason}\n`);
			process.exit(1);
		};
		onQuitSignal(() => {
			source.close();
			process.exit(0);
		});
		return;
	}

	// The server went away: runFullScreen restores the terminal on exit, then this line is printed.
	source.onClose = (reason) => {
		process.once('exit', () => process.stderr.write(`concurrency-top: ${reason}\n`));
		process.exit(1);
	};
	await runFullScreen(<App source={source} ascii={!isUnicodeSafe()} attached />, {
		noColor: !options.color,
		cleanup: () => source.close(),
	});
}
