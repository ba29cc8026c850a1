import type {CommandLine} from '../options/command-line.js';
import {startMetricsFor} from './metrics-endpoint.js';
import {SocketsUnavailable} from '../collectors/sockets.js';
import {jsonLine, toJsonLine} from '../metrics/json-output.js';
import {isUnicodeSafe, keyboardInput, runFullScreen} from '../terminal/index.js';
import {App} from '../ui/app.js';
import {parseWatchOptions, type WatchOptions} from '../watch/options.js';
import {checkPid, nameOf, ownersOfPort, startCommand, type Started} from '../watch/target.js';
import {WatchSource} from '../watch/watch-source.js';
import {onQuitSignal} from '../shared/quit-signals.js';

/** How often the kernel's tables are read: twice a frame at the default interval, so a wait is seen early. */
const READ_MS = 500;

/** `concurrency-top watch …`: runs until quit, the watched process ends, or a mistake; the exit status. */
export async function watchMain(line: CommandLine): Promise<number> {
	if (process.platform !== 'linux') {
		process.stderr.write(
			'concurrency-top: watch needs Linux: it reads /proc and the kernel socket tables\n',
		);
		return 1;
	}
	const options = parseWatchOptions(line);
	try {
		return await watch(options);
	} catch (error: unknown) {
		if (!(error instanceof SocketsUnavailable)) throw error;
		process.stderr.write(`concurrency-top: ${error.message}\n`);
		return 1;
	}
}

async function watch(options: WatchOptions): Promise<number> {
	if (!options.json && process.stdout.isTTY) keyboardInput();
	let started: Started | undefined;
	const early: string[] = [];
	// The server's stderr lines go to the event log once there is one; until then, kept here.
	const sink = {log: (line: string) => void early.push(line)};
	// A server that cannot be found or started is a UsageError: one line, exit 2 (source/main.ts).
	let pid: number;
	let others: number[] = [];
	if (options.command.length > 0) {
		started = await startCommand(options.command, (text) => sink.log(text));
		pid = started.child.pid!;
	} else if (options.pid !== null) pid = checkPid(options.pid, options.stay);
	else {
		[pid, ...others] = (await ownersOfPort(options.port!)) as [number, ...number[]];
	}
	return run(options, pid, others, started, early, sink);
}

async function run(
	options: WatchOptions,
	pid: number,
	others: readonly number[],
	started: Started | undefined,
	early: readonly string[],
	sink: {log: (line: string) => void},
): Promise<number> {
	const source = new WatchSource({
		pid,
		port: options.port,
		handler: options.handler,
		rate: options.rate,
		waitMs: options.waitMs,
		readMs: READ_MS,
		tickMs: options.interval * 1000,
		otherRoots: others,
	});
	for (const line of early) source.log('info', `server: ${line}`);
	// Several servers on one port (SO_REUSEPORT): each is watched, and the log says so.
	if (others.length > 0) {
		const all = [pid, ...others].map((each) => `${each} ${nameOf(each)}`).join(', ');
		source.log(
			'warn',
			`port ${options.port} has ${others.length + 1} owners (SO_REUSEPORT), each watched with its children: ${all}`,
		);
	}
	sink.log = (line) => source.log('info', `server: ${line}`);
	// Every descendant seen is remembered, so that quitting ends it even after it left the group.
	if (started) {
		source.subscribe((snapshot) =>
			started.track((snapshot.os?.processes ?? []).map((process) => process.pid)),
		);
	}
	await source.start();
	const missing = source.snapshot.watch?.missing;
	if (missing) process.stderr.write(`concurrency-top: ${missing}\n`);
	if (options.clients > 0) await source.dispatch({type: 'add-clients', count: options.clients});
	const metrics = await startMetricsFor(source, options.reach);
	const stop = async () => {
		await Promise.all([source.stop(), metrics?.close(), started?.stop()]);
	};
	// The watched process ended: in the full screen, the line is printed after the terminal is restored.
	source.onGone = (why) => {
		// --stay: the line is in the event log and the figures stay until q.
		if (options.stay) return;
		process.once('exit', () => process.stderr.write(`concurrency-top: ${why}\n`));
		void stop().then(() => process.exit(0));
	};

	if (options.json || !process.stdout.isTTY) {
		source.subscribe((snapshot) => {
			process.stdout.write(jsonLine(toJsonLine(snapshot)));
		});
		return new Promise<number>((resolve) => {
			onQuitSignal(() => void stop().then(() => resolve(0)));
		});
	}
	await runFullScreen(<App source={source} ascii={!isUnicodeSafe()} />, {
		noColor: !options.color,
		cleanup: stop,
	});
	return 0;
}
