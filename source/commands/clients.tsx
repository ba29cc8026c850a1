import {render, useInput, useStdout} from '#ink';
import {jsonLine} from '../metrics/json-output.js';
import {useEffect, useState} from 'react';
import {ClientFleet} from '../clients/fleet.js';
import {ClientsMeter, type ClientsView} from '../clients/meter.js';
import type {Options} from '../options/options.js';
import {CLIENTS_COMMAND_DEFAULT, numberFrom, UsageError} from '../options/options.js';
import {formatClientsSummary} from '../clients/summary.js';
import type {EndpointOptions} from '../options/endpoints.js';
import {ClientsPanel} from '../ui/panels/clients.js';
import {onQuitSignal} from '../shared/quit-signals.js';

const TICK_MS = 250;
const ROLL_MS = 1000;

type Source = {
	readonly view: () => ClientsView;
	readonly subscribe: (listener: () => void) => () => void;
	readonly add: (count: number) => void;
	readonly drop: (count: number | 'all') => void;
};

function ClientsApp({source, onQuit}: {readonly source: Source; readonly onQuit: () => void}) {
	const [view, setView] = useState(source.view);
	const {stdout} = useStdout();
	useEffect(() => source.subscribe(() => setView(source.view())), [source]);
	useInput((input, key) => {
		if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
		else if (input === 'c') source.add(1);
		else if (input === 'C') source.add(10);
		else if (input === 'x') source.drop(1);
		else if (input === 'X') source.drop('all');
	});
	return <ClientsPanel view={view} width={Math.min(80, stdout.columns || 80)} />;
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
	const label = target.host.includes(':')
		? `[${target.host}]:${target.port}`
		: `${target.host}:${target.port}`;
	const meter = new ClientsMeter(label);
	const listeners = new Set<() => void>();
	const fleet = new ClientFleet(() => target, options.rate, {
		onReport: (report) => meter.apply(report),
		onExit: (code, signal) => {
			process.stderr.write(
				`concurrency-top: test-client process ended (${signal ?? `exit ${code}`})\n`,
			);
			process.exit(1);
		},
	});
	const source: Source = {
		view: () => meter.view(),
		subscribe: (listener) => {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		add: (count) => fleet.add(count),
		drop: (count) => fleet.drop(count),
	};
	const count = reach.clientsGiven ? options.clients : CLIENTS_COMMAND_DEFAULT;
	if (count > 0) source.add(count);
	const json = options.json || !process.stdout.isTTY;
	setInterval(() => {
		meter.roll();
		if (json) process.stdout.write(jsonLine(meter.view()));
	}, ROLL_MS);

	let quitting = false;
	const screen: {unmount?: () => void} = {};
	// With --duration, the summary of the measured window ends the run (or Ctrl-C, with what it has).
	const quit = async () => {
		if (quitting) return;
		quitting = true;
		meter.roll();
		const summary = meter.summary();
		screen.unmount?.();
		await fleet.stop();
		if (summary)
			process.stdout.write(
				json
					? jsonLine({at: Date.now(), summary})
					: `\n${formatClientsSummary(summary, length.warmupS)}\n`,
			);
		process.exit(0);
	};
	if (length.durationS !== null) {
		setTimeout(() => meter.startWindow(), length.warmupS * 1000).unref();
		setTimeout(() => void quit(), (length.warmupS + length.durationS) * 1000);
	}

	onQuitSignal(() => void quit());
	if (json) return;
	setInterval(() => {
		for (const listener of listeners) listener();
	}, TICK_MS);
	const ink = render(<ClientsApp source={source} onQuit={() => void quit()} />, {
		exitOnCtrlC: false,
	});
	screen.unmount = () => ink.unmount();
}

/** `--duration S`: run that long after `--warmup S`, then print a summary and end. */
export type RunLength = {readonly durationS: number | null; readonly warmupS: number};

export function parseRunLength(values: {
	readonly duration?: unknown;
	readonly warmup?: unknown;
}): RunLength {
	const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
	const durationS = text(values.duration);
	const warmupS = text(values.warmup);
	if (warmupS !== undefined && durationS === undefined)
		throw new UsageError('--warmup needs --duration S: the warm-up comes before a measured run');
	return {
		durationS: durationS === undefined ? null : numberFrom('duration', durationS, 0, 0.1, 86_400),
		warmupS: numberFrom('warmup', warmupS, 0, 0, 3600),
	};
}
