import {execFile, fork, spawn, type ChildProcess} from 'node:child_process';
import net from 'node:net';
import {fileURLToPath} from 'node:url';
import {once} from 'node:events';
import {findDescendants} from '../collectors/proc.js';
import {MODE_NAMES, type ModeName} from '../server/mode.js';
import {MODES} from '../server/modes/index.js';
import type {ServerReady, WorkerCommand, WorkerReply, WorkerStatus} from './messages.js';
import type {Workload} from './workload.js';

const SERVER_PROCESS = new URL('server-process.js', import.meta.url);
const LOAD_WORKER = new URL('load-worker.js', import.meta.url);
const PLAIN_SERVER = new URL('./plain-echo-server.js', import.meta.url);
const READY_TIMEOUT_MS = 15_000;

/**
 * The tutorial's own servers (examples/python), by the model they are the tutorial's version of:
 * `--tutorial` runs them in the same rounds as the models, the yardstick the models are held to.
 */
export const TUTORIAL_SERVERS = {
	sequential: 'sequential_server.py',
	thread: 'thread_server.py',
	pool: 'pool_server.py',
	process: 'process_server.py',
	async: 'asyncio_server.py',
	reactor: 'select_server.py',
	hybrid: 'hybrid_server.py',
} as const satisfies Partial<Record<ModeName, string>>;
export type TutorialModel = keyof typeof TUTORIAL_SERVERS;
export const TUTORIAL_MODELS = Object.keys(TUTORIAL_SERVERS) as TutorialModel[];
/** A row of the tutorial's server of a model: `py-thread`. */
export type TutorialKind = `py-${TutorialModel}`;
export const isTutorial = (kind: string): kind is TutorialKind => kind.startsWith('py-');

/** From dist/source/bench/: the package root holds examples/python (shipped in the package). */
const EXAMPLES = new URL('../../../examples/python/', import.meta.url);

/**
 * What a row's server is: one of the models, the plain baseline, the tutorial's server of a model,
 * or an outside server (--target).
 */
export type ServerKind = ModeName | 'plain' | 'target' | TutorialKind;

/** The listen backlog the bench gives each model: its registry entry's `benchBacklog`. */
export const MODEL_BACKLOG = Object.fromEntries(
	MODE_NAMES.map((mode) => [mode, MODES[mode].benchBacklog]),
) as Readonly<Record<ModeName, number>>;

/** `BENCH_CPU_PROF=dir` profiles each server process (`node --cpu-prof`) into `dir`. */
function serverExecArgv(): string[] {
	const dir = process.env.BENCH_CPU_PROF;
	return dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
}

function waitFor<T>(child: ChildProcess, type: string, what: string): Promise<T> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			cleanup();
			reject(new Error(`${what} did not answer within ${READY_TIMEOUT_MS / 1000} s`));
		}, READY_TIMEOUT_MS);
		const onMessage = (message: {type?: string}) => {
			if (message.type !== type) return;
			cleanup();
			resolve(message as T);
		};
		const onExit = (code: number | null, signal: string | null) => {
			cleanup();
			reject(new Error(`${what} ended (${signal ?? `exit ${code}`})`));
		};
		const cleanup = () => {
			clearTimeout(timer);
			child.off('message', onMessage);
			child.off('exit', onExit);
		};
		child.on('message', onMessage);
		child.on('exit', onExit);
	});
}

async function end(child: ChildProcess, graceful: () => void): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = once(child, 'exit');
	graceful();
	const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
	await exited;
	clearTimeout(timer);
}

export type RunningServer = {
	readonly pid: number;
	readonly host: string;
	readonly port: number;
	stop(): Promise<void>;
};

/**
 * Forks the server of one row: a model through EchoServer, the plain baseline, or the tutorial's
 * server; `backlog` for a model or plain, by default the model's MODEL_BACKLOG (plain 511; the
 * tutorial's servers have their own listen()).
 */
export async function startServer(
	kind: Exclude<ServerKind, 'target'>,
	work: Workload,
	backlog = kind === 'plain' || isTutorial(kind) ? 511 : MODEL_BACKLOG[kind],
): Promise<RunningServer> {
	if (isTutorial(kind)) return startTutorial(kind);
	const child =
		kind === 'plain'
			? fork(
					PLAIN_SERVER,
					[
						...(work.workMs > 0 ? ['--work-ms', String(work.workMs)] : []),
						...(work.delayMs > 0 ? ['--delay-ms', String(work.delayMs)] : []),
						...['--backlog', String(backlog)],
					],
					{execArgv: serverExecArgv(), stdio: ['ignore', 'ignore', 'inherit', 'ipc']},
				)
			: fork(
					SERVER_PROCESS,
					[
						kind,
						work.name,
						String(work.workMs),
						String(work.delayMs),
						String(work.poolSize),
						String(backlog),
					],
					{execArgv: serverExecArgv(), stdio: ['ignore', 'ignore', 'inherit', 'ipc']},
				);
	const ready = await waitFor<ServerReady>(child, 'ready', `the ${kind} server`).catch(
		(error: unknown) => {
			child.kill('SIGKILL');
			throw error;
		},
	);
	return {
		pid: ready.pid,
		host: '127.0.0.1',
		port: ready.port,
		async stop() {
			// Models stop through EchoServer (children and workers too); leftovers are killed.
			const children = await findDescendants(ready.pid);
			await end(child, () =>
				kind === 'plain' ? child.kill('SIGTERM') : child.send({type: 'stop'}),
			);
			for (const pid of children) {
				try {
					process.kill(pid, 'SIGKILL');
				} catch {
					// already gone, as it should be
				}
			}
		},
	};
}

/**
 * An outside server (`--target`): not started or stopped by the bench, but found in /proc by its
 * listening port (`ss -p` names the process for its owner), so its CPU, threads and memory are
 * measured as a model's are.
 */
export async function attachTarget(target: {
	readonly host: string;
	readonly port: number;
}): Promise<RunningServer> {
	const pid = await new Promise<number | null>((resolve) => {
		execFile(
			'ss',
			['-Hltnp', `sport = :${target.port}`],
			{timeout: 2000, env: {...process.env, LC_ALL: 'C'}},
			(error, stdout) => {
				const match = /pid=(\d+)/.exec(stdout);
				resolve(error || !match ? null : Number(match[1]));
			},
		);
	});
	if (pid === null)
		throw new Error(
			`no process of this user listens on port ${target.port} (ss -ltnp): the bench measures a server it can see in /proc`,
		);
	return {pid, host: target.host, port: target.port, stop: async () => {}};
}

/** The load-generator processes, kept for the whole bench and told what to open for each row. */
export class LoadWorkers {
	readonly #children: ChildProcess[];

	private constructor(children: ChildProcess[]) {
		this.#children = children;
	}

	static start(count: number): LoadWorkers {
		const children = Array.from({length: count}, () =>
			fork(LOAD_WORKER, [], {execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc']}),
		);
		return new LoadWorkers(children);
	}

	get size(): number {
		return this.#children.length;
	}

	get pids(): number[] {
		return this.#children.map((child) => child.pid!).filter((pid) => pid !== undefined);
	}

	/** Spreads `count` clients evenly over the workers. */
	open(command: Omit<Extract<WorkerCommand, {type: 'open'}>, 'type'>): void {
		const n = this.#children.length;
		this.#children.forEach((child, index) => {
			const share = Math.floor(command.count / n) + (index < command.count % n ? 1 : 0);
			if (share > 0) child.send({...command, type: 'open', count: share} satisfies WorkerCommand);
		});
	}

	measure(): void {
		for (const child of this.#children) child.send({type: 'measure'} satisfies WorkerCommand);
	}

	async ask(type: 'status' | 'collect'): Promise<WorkerStatus[]> {
		return Promise.all(
			this.#children.map((child) => {
				const answer = waitFor<WorkerStatus>(child, type, 'a load worker');
				child.send({type} satisfies WorkerCommand);
				return answer;
			}),
		);
	}

	async close(): Promise<void> {
		await Promise.all(
			this.#children.map((child) => {
				const answer = waitFor<WorkerReply>(child, 'closed', 'a load worker');
				child.send({type: 'close'} satisfies WorkerCommand);
				return answer;
			}),
		);
	}

	async stop(): Promise<void> {
		await Promise.all(this.#children.map((child) => end(child, () => child.kill('SIGTERM'))));
	}
}

/** A free loopback port, as the kernel hands one out. */
function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const probe = net.createServer();
		probe.once('error', reject);
		probe.listen(0, '127.0.0.1', () => {
			const {port} = probe.address() as net.AddressInfo;
			probe.close(() => resolve(port));
		});
	});
}

/** Whether anything listens on 127.0.0.1:`port`, asked of the kernel (no connection made). */
function listening(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		execFile('ss', ['-Hltn', `sport = :${port}`], {timeout: 2000}, (error, stdout) =>
			resolve(!error && stdout.trim() !== ''),
		);
	});
}

/**
 * Starts the tutorial's Python server of a model (examples/python) with `python3`, as it is: its own
 * listen(5), its own threads or processes. Its own work per message is none: it is measured on the
 * echo workload. Its children (the process server forks one per client) end with it.
 */
export async function startTutorial(kind: TutorialKind): Promise<RunningServer> {
	const model = kind.slice(3) as TutorialModel;
	const file = fileURLToPath(new URL(TUTORIAL_SERVERS[model], EXAMPLES));
	const port = await freePort();
	const child = spawn('python3', [file, '--host', '127.0.0.1', '--port', String(port)], {
		stdio: ['ignore', 'ignore', 'ignore'],
	});
	const failed = new Promise<never>((_, reject) => {
		child.once('error', (error) => reject(new Error(`python3 could not start: ${error.message}`)));
		child.once('exit', (code, signal) =>
			reject(new Error(`${TUTORIAL_SERVERS[model]} ended (${signal ?? `exit ${code}`})`)),
		);
	});
	failed.catch(() => {});
	const deadline = Date.now() + READY_TIMEOUT_MS;
	for (;;) {
		const up = await Promise.race([listening(port), failed]);
		if (up) break;
		if (Date.now() > deadline) {
			child.kill('SIGKILL');
			throw new Error(
				`${TUTORIAL_SERVERS[model]} did not listen within ${READY_TIMEOUT_MS / 1000} s`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	const pid = child.pid!;
	return {
		pid,
		host: '127.0.0.1',
		port,
		async stop() {
			const children = await findDescendants(pid);
			await end(child, () => child.kill('SIGTERM'));
			for (const descendant of children) {
				try {
					process.kill(descendant, 'SIGKILL');
				} catch {
					// Already gone.
				}
			}
		},
	};
}
