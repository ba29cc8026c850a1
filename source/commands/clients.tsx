import {render} from '#ink';
import {jsonLine} from '../metrics/json-output.js';
import {ClientFleet} from '../clients/fleet.js';
import {ClientsMeter, type ClientsView} from '../clients/meter.js';
import type {Options} from '../options/options.js';
import {CLIENTS_COMMAND_DEFAULT, parseMessageTimeoutMs} from '../options/options.js';
import {numberFrom, UsageError} from '../options/values.js';
import {formatClientsSummary, summaryJson, viewJson, type ClientsLoad} from '../clients/summary.js';
import type {EndpointOptions} from '../options/endpoints.js';
import {ClientsApp} from '../ui/clients-app.js';
import {Publisher} from '../ui/use-source.js';
import {onQuitSignal} from '../shared/quit-signals.js';
import {keyboardInput} from '../terminal/keyboard.js';

type Target = NonNullable<EndpointOptions['target']>;

const TICK_MS = 250;
const ROLL_MS = 1000;

/** `host:port`, or `[v6]:port`: how the screen names the server under load. */
const labelOf = ({host, port}: Target) =>
	host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

/** The test clients in their own process, reporting to `meter`; the command ends if that process does. */
function startFleet(
	target: Target,
	rate: number,
	meter: ClientsMeter,
	length: RunLength,
	onFirstReport: () => void,
): ClientFleet {
	return new ClientFleet(
		() => target,
		rate,
		{
			onReport: (report) => {
				meter.apply(report);
				onFirstReport();
			},
			onExit: (code, signal) => {
				process.stderr.write(
					`concurrency-top: test-client process ended (${signal ?? `exit ${code}`})\n`,
				);
				process.exit(1);
			},
		},
		undefined,
		undefined,
		{
			schedule: length.fixedRate ? 'fixed' : 'closed',
			messageTimeoutMs: length.timeoutMs,
		},
	);
}

/**
 * How the command ends (q, Ctrl-C, a signal, the end of --duration): once, with the summary of the
 * measured window, after the screen is gone and the clients closed.
 */
function quitter(
	meter: ClientsMeter,
	fleet: ClientFleet,
	json: boolean,
	load: ClientsLoad & {readonly clients: number},
	screen: {unmount?: () => void},
): () => Promise<void> {
	let quitting = false;
	return async () => {
		if (quitting) return;
		quitting = true;
		meter.roll();
		const summary = meter.summary();
		const view = meter.view();
		screen.unmount?.();
		await fleet.stop();
		if (summary)
			process.stdout.write(
				json
					? jsonLine({at: Date.now(), summary: summaryJson(summary, load)})
					: `\n${formatClientsSummary(summary, load)}\n`,
			);
		// Not one connection in the whole run: the target is not there, and a script must know.
		if (load.clients > 0 && view.connectsTotal === 0) {
			const {refused, timeouts, resets, other} = view.errors;
			process.stderr.write(
				`concurrency-top: clients: no connection to ${view.target} ever succeeded (refused ${refused}, timeouts ${timeouts}, resets ${resets}, other ${other})\n`,
			);
			process.exit(1);
		}
		process.exit(0);
	};
}

/**
 * `concurrency-top clients --target HOST:PORT`: only the test clients, against any TCP echo server,
 * with a small live panel or, with --json (or no terminal), one JSON line a second.
 */
export async function runClients(
	options: Options,
	reach: EndpointOptions,
	length: RunLength = {durationS: null, warmupS: 0},
): Promise<void> {
	const target = reach.target;
	if (target === null) {
		throw new UsageError('clients needs --target HOST:PORT, the echo server to load');
	}
	const meter = new ClientsMeter(labelOf(target));
	let running: () => void = () => {};
	const started = new Promise<void>((resolve) => (running = resolve));
	const fleet = startFleet(target, options.rate, meter, length, () => running());
	const count = reach.clientsGiven ? options.clients : CLIENTS_COMMAND_DEFAULT;
	const load: ClientsLoad & {readonly clients: number} = {
		clients: count,
		schedule: length.fixedRate ? 'fixed-rate' : 'closed-loop',
		ratePerSec: options.rate,
		timeoutMs: length.timeoutMs,
		warmupS: length.warmupS,
	};
	const json = options.json || !process.stdout.isTTY;
	// No terminal to read keys from: said before any client connects.
	const stdin = json ? undefined : keyboardInput();
	if (count > 0) fleet.add(count);
	else running();
	setInterval(() => {
		meter.roll();
		if (json) process.stdout.write(jsonLine(viewJson(meter.view(), load)));
	}, ROLL_MS);

	const screen: {unmount?: () => void} = {};
	const quit = quitter(meter, fleet, json, load, screen);
	// With --duration, the summary of the measured window ends the run (or Ctrl-C, with what it has).
	if (length.durationS !== null) {
		// Counted from the client process's first report: its start (a second on a busy machine) is
		// neither warm-up nor measured.
		const {warmupS, durationS} = length;
		void started.then(() => {
			setTimeout(() => meter.startWindow(), warmupS * 1000).unref();
			setTimeout(() => void quit(), (warmupS + durationS) * 1000);
		});
	}
	onQuitSignal(() => void quit());
	if (json) return;

	// The screen reads the figures as the dashboard reads its source: published on a tick.
	const figures = new Publisher<ClientsView>(meter.view());
	setInterval(() => figures.publish(meter.view()), TICK_MS);
	const ink = render(
		<ClientsApp
			figures={figures}
			fleet={fleet}
			onQuit={() => void quit()}
			timeoutMs={load.timeoutMs}
		/>,
		{exitOnCtrlC: false, stdin},
	);
	screen.unmount = () => ink.unmount();
}

/**
 * `--duration S`: run that long after `--warmup S`, then print a summary and end; `--fixed-rate`:
 * time each round trip from when its message was due; `--timeout-ms N`: a message without its
 * reply this long is counted as timed out.
 */
export type RunLength = {
	readonly durationS: number | null;
	readonly warmupS: number;
	readonly fixedRate?: boolean;
	readonly timeoutMs?: number;
};

export function parseRunLength(values: {
	readonly duration?: unknown;
	readonly warmup?: unknown;
	readonly fixedRate?: unknown;
	readonly timeoutMs?: unknown;
}): RunLength {
	const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
	const durationS = text(values.duration);
	const warmupS = text(values.warmup);
	if (warmupS !== undefined && durationS === undefined)
		throw new UsageError('--warmup needs --duration S: the warm-up comes before a measured run');
	return {
		durationS: durationS === undefined ? null : numberFrom('duration', durationS, 0, 0.1, 86_400),
		warmupS: numberFrom('warmup', warmupS, 0, 0, 3600),
		fixedRate: values.fixedRate === true,
		timeoutMs: parseMessageTimeoutMs(text(values.timeoutMs)),
	};
}
