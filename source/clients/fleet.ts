import {fork, type ChildProcess} from 'node:child_process';
import {once} from 'node:events';
import type {ClientCommand, ClientReport} from '../server/protocol.js';
import type {HandlerName} from '../server/handler.js';
import type {Target} from './test-client.js';

/** The most test clients one run opens. */
export const MAX_CLIENTS = 10_000;

export type FleetEvents = {
	readonly onReport: (report: ClientReport) => void;
	/** The client process ended without being asked to. */
	readonly onExit: (code: number | null, signal: NodeJS.Signals | null) => void;
};

/** How the clients time their messages (`clients --fixed-rate`, `--timeout-ms`); the dashboard's defaults otherwise. */
export type FleetLoad = Pick<
	Extract<ClientCommand, {type: 'configure'}>,
	'schedule' | 'messageTimeoutMs'
>;

const CLIENT_PROCESS = new URL('client-process.js', import.meta.url);

/**
 * The dashboard's handle on the test-client process: forks it on first use, forwards commands, and
 * passes its reports on. The process dies with its IPC channel, so it never outlives the dashboard.
 */
export class ClientFleet {
	readonly #target: () => Target;
	readonly #ratePerSecond: number;
	readonly #events: FleetEvents;
	readonly #expect: HandlerName | undefined;
	readonly #maxClients: number;
	readonly #load: FleetLoad;
	#child: ChildProcess | undefined;

	/** `target` is read when the process starts: after the server has bound its port. */
	/** `expect`: check every reply against this handler's (watch); without it any reply counts. */
	constructor(
		target: () => Target,
		ratePerSecond: number,
		events: FleetEvents,
		expect?: HandlerName,
		maxClients = MAX_CLIENTS,
		load: FleetLoad = {},
	) {
		this.#maxClients = maxClients;
		this.#load = load;
		this.#target = target;
		this.#ratePerSecond = ratePerSecond;
		this.#events = events;
		this.#expect = expect;
	}

	get pid(): number | undefined {
		return this.#child?.pid;
	}

	add(count: number): void {
		this.#send({type: 'add', count});
	}

	drop(count: number | 'all'): void {
		if (this.#child) this.#send({type: 'drop', count});
	}

	async stop(): Promise<void> {
		const child = this.#child;
		this.#child = undefined;
		if (!child || child.exitCode !== null || child.signalCode !== null) return;
		const exited = once(child, 'exit');
		child.kill('SIGTERM');
		await exited;
	}

	#send(command: ClientCommand): void {
		this.#spawn().send(command);
	}

	#spawn(): ChildProcess {
		if (this.#child) return this.#child;
		// Nothing of the child may write to the dashboard's terminal: its news comes over IPC.
		const child = fork(CLIENT_PROCESS, [], {
			execArgv: [],
			stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
		});
		child.on('message', (report: ClientReport) => this.#events.onReport(report));
		child.on('exit', (code, signal) => {
			if (this.#child !== child) return;
			this.#child = undefined;
			this.#events.onExit(code, signal);
		});
		const {host, port} = this.#target();
		child.send({
			type: 'configure',
			host,
			port,
			ratePerSecond: this.#ratePerSecond,
			maxClients: this.#maxClients,
			...this.#load,
			...(this.#expect ? {expect: this.#expect} : {}),
		} satisfies ClientCommand);
		this.#child = child;
		return child;
	}
}
