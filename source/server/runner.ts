import {fork, type ChildProcess} from 'node:child_process';
import {readdirSync, readFileSync} from 'node:fs';
import type {Placement} from './protocol.js';
import type {EmitEvent, ServerCommand, ServerReport, ServerSettings} from './protocol.js';
import {ListenError} from './listen.js';
import {EchoServer} from './echo-server.js';
import type {ModeName, ServerConfig} from './mode.js';

const SERVER_ENTRY = new URL('server-process.js', import.meta.url);
/**
 * How long the server process may take to stop before it and its children are killed (SIGKILL):
 * inside the dashboard's 1 s exit deadline, so that a busy (--work-ms) or stopped (SIGSTOP) server
 * never outlives it holding the port.
 */
export const STOP_DEADLINE_MS = 700;

/** `pid` and every process below it, from /proc (synchronous: it also runs in an 'exit' handler). */
export function processTree(pid: number): number[] {
	const tree = [pid];
	for (let i = 0; i < tree.length; i++) {
		let tasks: string[] = [];
		try {
			tasks = readdirSync(`/proc/${tree[i]}/task`);
		} catch {
			continue;
		}
		for (const task of tasks) {
			try {
				const text = readFileSync(`/proc/${tree[i]}/task/${task}/children`, 'utf8').trim();
				if (text) tree.push(...text.split(/\s+/).map(Number));
			} catch {
				// The thread ended while we read.
			}
		}
	}
	return tree;
}

/** SIGKILL to `pid` and its descendants, children first found before any is killed. */
function killTree(pid: number): void {
	for (const each of processTree(pid)) {
		try {
			process.kill(each, 'SIGKILL');
		} catch {
			// Already gone.
		}
	}
}

/**
 * The controller's one handle on the server, wherever it runs: in the dashboard's process, or in a
 * server process of its own. Nothing else knows which.
 */
export type ServerRunner = {
	readonly placement: Placement;
	/** The bound port (the kernel's choice with port 0, kept across switches). */
	readonly port: number;
	/** The process the server runs in; null while the server process is down. */
	readonly pid: number | null;
	/** Starts `mode`, stopping the running one; starts the server process first if it is down. */
	start(mode: ModeName): Promise<number>;
	/** Stops the server and ends everything it started, the server process included. */
	stop(): Promise<void>;
	configure(settings: Partial<ServerSettings>): void;
	/** Crashes one worker thread or child process of the running model. */
	crashWorker(): void;
	/** How long the server process has said nothing, heartbeat included (0 in-process or while down). */
	silentMs(now: number): number;
};

export type RunnerEvents = {
	readonly emit: EmitEvent;
	/** The server process ended without being asked to (worker placement only). */
	readonly onCrash: (reason: string) => void;
};

/**
 * `settings` reads the current settings from their owner (the Controller): a server (process) started
 * later starts with them, and the runner keeps no copy of its own.
 */
export function createRunner(
	placement: Placement,
	config: ServerConfig,
	settings: () => ServerSettings,
	events: RunnerEvents,
): ServerRunner {
	return placement === 'in-process'
		? new InProcessRunner(config, settings, events.emit)
		: new ServerProcessRunner(config, settings, events);
}

class InProcessRunner implements ServerRunner {
	readonly placement = 'in-process';
	readonly pid = process.pid;
	readonly #host: EchoServer;

	constructor(config: ServerConfig, settings: () => ServerSettings, emit: EmitEvent) {
		this.#host = new EchoServer(config, emit, settings());
	}

	get port(): number {
		return this.#host.port;
	}

	start(mode: ModeName): Promise<number> {
		return this.#host.start(mode);
	}

	stop(): Promise<void> {
		return this.#host.stop();
	}

	configure(settings: Partial<ServerSettings>): void {
		this.#host.configure(settings);
	}

	crashWorker(): void {
		this.#host.crashWorker();
	}

	silentMs(): number {
		return 0;
	}
}

type Pending = {resolve: (port: number) => void; reject: (error: Error) => void};

class ServerProcessRunner implements ServerRunner {
	readonly placement = 'worker';
	#config: ServerConfig;
	readonly #settings: () => ServerSettings;
	readonly #events: RunnerEvents;
	#child: ChildProcess | undefined;
	#requests = 0;
	/** When the server process last reported anything (its heartbeat included). */
	#heardAt = 0;
	readonly #pending = new Map<number, Pending>();

	constructor(config: ServerConfig, settings: () => ServerSettings, events: RunnerEvents) {
		this.#config = config;
		this.#settings = settings;
		this.#events = events;
	}

	get port(): number {
		return this.#config.port;
	}

	get pid(): number | null {
		return this.#child?.pid ?? null;
	}

	async start(mode: ModeName): Promise<number> {
		const port = await this.#request({type: 'start', request: 0, mode, port: this.#config.port});
		this.#config = {...this.#config, port};
		return port;
	}

	async stop(): Promise<void> {
		const child = this.#child;
		if (!child) return;
		const exited = new Promise((resolve) => {
			if (child.exitCode !== null || child.signalCode !== null) resolve(undefined);
			else child.once('exit', resolve);
		});
		// Busy in a handler or stopped, it would never answer: at the deadline it and its children die.
		const deadline = setTimeout(() => killTree(child.pid!), STOP_DEADLINE_MS);
		const stopped = this.#request({type: 'stop', request: 0}).catch(() => {});
		// From here its exit is expected, not a crash.
		this.#child = undefined;
		try {
			await Promise.race([stopped, exited]);
		} finally {
			// Closing the channel is how the server process knows to end.
			if (child.connected) child.disconnect();
			await exited;
			clearTimeout(deadline);
		}
	}

	configure(settings: Partial<ServerSettings>): void {
		this.#child?.send({type: 'configure', settings} satisfies ServerCommand);
	}

	crashWorker(): void {
		this.#child?.send({type: 'crash-worker'} satisfies ServerCommand);
	}

	silentMs(now: number): number {
		return this.#child ? Math.max(0, now - this.#heardAt) : 0;
	}

	#request(command: ServerCommand): Promise<number> {
		const child = this.#spawn();
		const request = ++this.#requests;
		return new Promise<number>((resolve, reject) => {
			this.#pending.set(request, {resolve, reject});
			child.send({...command, request});
		});
	}

	#spawn(): ChildProcess {
		if (this.#child) return this.#child;
		const child = fork(
			SERVER_ENTRY,
			[JSON.stringify({config: this.#config, settings: this.#settings()})],
			{execArgv: [], stdio: ['ignore', 'ignore', 'ignore', 'ipc']},
		);
		child.on('error', () => {});
		this.#heardAt = Date.now();
		child.on('message', (report: ServerReport) => {
			this.#heardAt = Date.now();
			switch (report.type) {
				case 'events': {
					for (const event of report.events) this.#events.emit(event);
					break;
				}
				case 'done': {
					this.#settle(report.request)?.resolve(report.port);
					break;
				}
				case 'failed': {
					this.#settle(report.request)?.reject(new ListenError(report.message));
					break;
				}
			}
		});
		// Whatever way the dashboard ends, the server process and its children end with it.
		const lastResort = () => killTree(child.pid!);
		process.once('exit', lastResort);
		child.once('exit', (code, signal) => {
			process.off('exit', lastResort);
			const reason = signal ?? `exit ${code}`;
			for (const pending of this.#pending.values()) {
				pending.reject(new Error(`server process ended (${reason})`));
			}
			this.#pending.clear();
			if (this.#child !== child) return;
			this.#child = undefined;
			this.#events.onCrash(reason);
		});
		this.#child = child;
		return child;
	}

	#settle(request: number): Pending | undefined {
		const pending = this.#pending.get(request);
		this.#pending.delete(request);
		return pending;
	}
}
