import {readdirSync, readFileSync, readlinkSync} from 'node:fs';
import net, {type Socket} from 'node:net';
import type {ServerEvent, ServerSettings} from '../../source/server/protocol.js';
import type {ModeName} from '../../source/server/mode.js';
import {createRunner, type ServerRunner} from '../../source/server/runner.js';
import {EchoServer} from '../../source/server/echo-server.js';
import type {HandlerName} from '../../source/server/handler.js';
import {DEFAULT_SETTINGS} from '../../source/server/settings.js';
import {SPARE_THREADS} from '../../source/server/modes/thread.js';
import {SPARE_CHILDREN} from '../../source/server/modes/process.js';
import {MODES} from '../../source/server/modes/index.js';
import {waitFor} from './net.js';
import {isToolOfOurs} from '../../source/collectors/proc.js';

/** A line client that reads replies line by line, so a test can ask and wait for the answer. */
export class LineClient {
	readonly socket: Socket;
	#buffer = '';
	#lines: string[] = [];
	#waiters: Array<(line: string) => void> = [];
	closed: Promise<void>;
	isClosed = false;

	private constructor(socket: Socket) {
		this.socket = socket;
		socket.setEncoding('utf8');
		socket.on('data', (text: string) => {
			this.#buffer += text;
			let index = this.#buffer.indexOf('\n');
			while (index !== -1) {
				const line = this.#buffer.slice(0, index);
				this.#buffer = this.#buffer.slice(index + 1);
				const waiter = this.#waiters.shift();
				if (waiter) waiter(line);
				else this.#lines.push(line);
				index = this.#buffer.indexOf('\n');
			}
		});
		socket.on('error', () => {});
		this.closed = new Promise((resolve) =>
			socket.once('close', () => {
				this.isClosed = true;
				resolve();
			}),
		);
	}

	static async connect(port: number): Promise<LineClient> {
		const socket = net.connect({host: '127.0.0.1', port});
		await new Promise<void>((resolve, reject) => {
			socket.once('connect', resolve);
			socket.once('error', reject);
		});
		return new LineClient(socket);
	}

	send(line: string): void {
		this.socket.write(`${line}\n`);
	}

	/** The next reply line; rejects after `timeoutMs` or when the connection closes first. */
	next(timeoutMs = 5000): Promise<string> {
		const ready = this.#lines.shift();
		if (ready !== undefined) return Promise.resolve(ready);
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.#waiters = this.#waiters.filter((waiter) => waiter !== done);
				reject(new Error(`no reply within ${timeoutMs}ms`));
			}, timeoutMs);
			const done = (line: string) => {
				clearTimeout(timer);
				resolve(line);
			};
			this.#waiters.push(done);
			void this.closed.then(() => {
				if (!this.#waiters.includes(done)) return;
				clearTimeout(timer);
				this.#waiters = this.#waiters.filter((waiter) => waiter !== done);
				reject(new Error('connection closed'));
			});
		});
	}

	/** True when a reply is already here or arrives within `ms`. */
	async hasReplyWithin(ms: number): Promise<boolean> {
		try {
			const line = await this.next(ms);
			this.#lines.unshift(line);
			return true;
		} catch {
			return false;
		}
	}

	async ask(line: string, timeoutMs = 5000): Promise<string> {
		this.send(line);
		return this.next(timeoutMs);
	}

	async close(): Promise<void> {
		this.socket.end();
		this.socket.destroy();
		await this.closed;
	}
}

export type TestServer = {host: EchoServer; events: ServerEvent[]; port: number};

export async function startHost(
	mode: Parameters<EchoServer['start']>[0],
	handler: HandlerName = 'echo',
	settings: Partial<ServerSettings> = {},
	/** --backlog; the model's own (ModeEntry.backlog) if absent. */
	backlog: number | null = null,
): Promise<TestServer> {
	const events: ServerEvent[] = [];
	const host = new EchoServer(
		{host: '127.0.0.1', port: 0, handler, backlog},
		(event) => events.push(event),
		{...DEFAULT_SETTINGS, ...settings},
	);
	const port = await host.start(mode);
	// Async and reactor's extra accept handles join just after start: counts taken before would see their child.
	await host.accepting();
	await sparesStarted(mode, events, settings.maxWorkers).catch(async (error: unknown) => {
		await host.stop();
		throw error;
	});
	return {host, events, port};
}

/** The workers thread and process per client keep started ahead of need, serving no one. */
export const SPARES: Partial<Record<ModeName, number>> = {
	thread: SPARE_THREADS,
	process: SPARE_CHILDREN,
};

/** The spares `mode` keeps under --max-workers `maxWorkers`: never more than the worker budget. */
export function sparesOf(mode: ModeName | string, maxWorkers?: number | null): number {
	const spares = SPARES[mode as ModeName] ?? 0;
	return Math.min(spares, maxWorkers ?? spares);
}

/**
 * Thread and process per client start their spares one at a time after they listen: a thread or
 * child count or RSS taken before they are all up would count them as growth, and one taken after
 * as a leak.
 */
async function sparesStarted(
	mode: ModeName | string,
	events: readonly ServerEvent[],
	maxWorkers: number | null | undefined,
): Promise<void> {
	const spares = sparesOf(mode, maxWorkers);
	if (spares === 0) return;
	await waitFor(
		() => events.filter((event) => event.type === 'worker-up').length >= spares,
		`the ${spares} spares to start`,
		30_000,
	);
}

/** OS threads of a process: the entries of /proc/<pid>/task. */
export function threadCount(pid = process.pid): number {
	return readdirSync(`/proc/${pid}/task`).length;
}

/** What each open file descriptor of this process points at, for messages about leaks. */
export function fdTargets(): string {
	return readdirSync('/proc/self/fd')
		.map((fd) => {
			try {
				return `${fd}→${readlinkSync(`/proc/self/fd/${fd}`)}`;
			} catch {
				return fd;
			}
		})
		.join(' ');
}

/** Open file descriptors of this process. */
export function fdCount(): number {
	return readdirSync('/proc/self/fd').length;
}

/**
 * Direct children of `pid`, from /proc/<pid>/task/<pid>/children: the server's, not the shell that
 * runs `ss` for the collectors (source/collectors/ss.ts) nor an `ss` it runs.
 */
export function childPids(pid = process.pid): number[] {
	const pids: number[] = [];
	for (const task of readdirSync(`/proc/${pid}/task`)) {
		try {
			const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
			if (text) pids.push(...text.split(/\s+/).map(Number));
		} catch {
			// The thread ended while we read.
		}
	}
	return pids.filter((child) => !isSsTool(child)).sort((a, b) => a - b);
}

function isSsTool(pid: number): boolean {
	try {
		const name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
		return isToolOfOurs({pid, name});
	} catch {
		return false;
	}
}

/** Whether a process with this id still runs (a zombie waiting for a reaper does not count). */
export function isAlive(pid: number): boolean {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		// The state follows the parenthesised command name, which may itself contain spaces.
		const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
		return state !== 'Z' && state !== 'X';
	} catch {
		return false;
	}
}

/** RSS of a process and its children (the process and cluster models' workers), from /proc. */
export function treeRss(pid: number): number {
	let total = 0;
	for (const each of [pid, ...childPids(pid)]) {
		try {
			const status = readFileSync(`/proc/${each}/status`, 'utf8');
			total += Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
		} catch {
			// Gone while we read.
		}
	}
	return total;
}

/** A server in a process of its own (worker placement), so that its RSS is its own. */
export async function startServerProcess(
	mode: ModeName,
	settings: Partial<ServerSettings> = {},
): Promise<{runner: ServerRunner; events: ServerEvent[]; port: number; pid: number}> {
	const events: ServerEvent[] = [];
	const runner = createRunner(
		'worker',
		{host: '127.0.0.1', port: 0, handler: 'echo'},
		() => ({...DEFAULT_SETTINGS, poolSize: 4, ...settings}),
		{emit: (event) => events.push(event), onCrash: () => {}},
	);
	const port = await runner.start(mode);
	// Async and reactor copy their accept handles in a short-lived child just after start: RSS or
	// children counted before it ended would count it.
	if (MODES[mode].fdFixed) {
		await waitFor(() => childPids(runner.pid!).length === 0, 'the accept handles to be copied');
	}
	// A server process left running keeps the test file from ending.
	await sparesStarted(mode, events, settings.maxWorkers).catch(async (error: unknown) => {
		await runner.stop();
		throw error;
	});
	return {runner, events, port, pid: runner.pid!};
}
