import cluster, {type Worker} from 'node:cluster';
import os from 'node:os';
import {performance} from 'node:perf_hooks';
import type {ChildCommand, ChildReport, ClusterAccept, WorkerRef} from '../protocol.js';
import {Acceptor} from '../acceptor.js';
import {acceptErrors, ignoreSocketErrors} from '../connection.js';
import {explainListenError} from '../listen.js';
import {PROCESS_COST_BYTES, type ModeContext, type ModeEntry, type ModeFactory} from '../mode.js';
import {extraAcceptFds, fdConnectionCap, openFileLimit, refusalReason} from '../fd-limit.js';
import {
	CHILD_ENTRY,
	emitChildDown,
	emitChildUp,
	endChild,
	handOver,
	READY_TIMEOUT_MS,
	relayConnectionReport,
} from '../serving-child.js';
import {setTimeout as delay} from 'node:timers/promises';

/** How long stop() waits for a worker's IPC channel to close after its exit. */
const DISCONNECT_WAIT_MS = 1000;

/**
 * Node's answer to many cores: pre-forked worker processes, one a core. How a connection reaches one
 * (`--cluster-accept`):
 *
 * - `round-robin` (the default, as Node's cluster's own default): this process accepts every
 *   connection and sends it to the next child in turn, which owns it from then on. The split holds:
 *   12 clients arriving a few at a time land 6 and 6.
 * - `shared`: Node's cluster with SCHED_NONE. The primary binds the socket once and hands the same
 *   listening handle to every child, and each accepts straight from the kernel's queue, as Apache
 *   prefork and gunicorn do. The kernel wakes the child that waited last, which is the one that just
 *   served: 12 of 12 and 21 of 23 clients arriving a few at a time landed on one child,
 *   the lesson behind nginx's accept_mutex and SO_REUSEPORT.
 *
 * Either way a child that died is replaced without the listener closing.
 */
export const createClusterMode: ModeFactory = (context) => {
	const {settings} = context;
	const size = os.availableParallelism();
	const fdLimit = openFileLimit();
	const accept = context.config.clusterAccept ?? 'round-robin';
	const workers: Workers = {
		connections: new Map(),
		ready: new Set(),
		accept,
		port: context.config.port,
		size,
		/** Each worker accepts its own share: --max-connections and the fd cap are per worker. */
		refusal: () =>
			refusalReason(
				settings().maxConnections,
				fdLimit,
				fdLimit === null ? null : fdConnectionCap(fdLimit, 1, extraAcceptFds(fdLimit)),
				size,
			),
		stopping: false,
	};
	const dealer = accept === 'round-robin' ? dealConnections(workers) : undefined;
	return {
		name: context.name,
		accept,
		async start() {
			shareOneListener();
			if (dealer) {
				const {config, emit} = context;
				workers.port = await dealer.listen(
					config.host,
					config.port,
					context.backlog,
					acceptErrors(emit),
				);
			}
			const ports = await Promise.all(
				Array.from({length: size}, () => startWorker(context, workers)),
			);
			return dealer ? workers.port : ports[0]!;
		},
		accepting: async () => {
			await dealer?.accepting;
		},
		async stop() {
			workers.stopping = true;
			// Together: the dealer's close waits for every child it sent connections to, to say that
			// they are closed (Node's SocketListSend), which a child says only as it ends.
			await Promise.all([
				dealer?.close([], {drain: false}),
				...[...workers.connections.keys()].map((worker) => stopWorker(worker)),
			]);
		},
		crashWorker() {
			// The busiest first: the kernel may have given every connection to one worker.
			const worker = busiest(workers.connections);
			const pid = worker?.process.pid;
			if (!worker || pid === undefined) return null;
			worker.process.kill('SIGKILL');
			return `pid ${pid}`;
		},
		configure(next) {
			const command: ChildCommand = {type: 'settings', settings: next};
			for (const worker of workers.connections.keys()) {
				if (worker.isConnected()) worker.send(command);
			}
		},
	};
};

/** The primary's workers, shared by start, stop, a crash and a worker's exit. */
type Workers = {
	/** Each worker's connections: its own number for each → the dashboard-wide id. */
	readonly connections: Map<Worker, Map<number, number>>;
	/** The workers that said they serve, in the order they started: round-robin deals to these. */
	readonly ready: Set<Worker>;
	readonly accept: ClusterAccept;
	/** The port clients connect to: bound by this process (round-robin) or the first child (shared). */
	port: number;
	/** How many run at once: one a core. */
	readonly size: number;
	/** Why a worker refused a connection: its share of the limits. */
	readonly refusal: () => {readonly limit: number; readonly why: string};
	stopping: boolean;
};

/**
 * SCHED_NONE, and forks of the serving child: the primary binds the listening socket once and every
 * worker accepts from it.
 */
function shareOneListener(): void {
	cluster.schedulingPolicy = cluster.SCHED_NONE;
	cluster.setupPrimary({
		exec: CHILD_ENTRY.pathname,
		execArgv: [],
		args: [],
		stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
	} as Parameters<typeof cluster.setupPrimary>[0]);
}

/** The worker with the most connections, if any. */
function busiest(connections: Map<Worker, Map<number, number>>): Worker | undefined {
	const [worker] = [...connections].reduce<[Worker | undefined, number]>(
		(best, [candidate, ids]) => (ids.size > best[1] ? [candidate, ids.size] : best),
		[undefined, -1],
	);
	return worker;
}

/**
 * Forks a worker; resolves with its port once it listens. One that dies after it started is
 * replaced, unless the model is stopping.
 */
function startWorker(context: ModeContext, workers: Workers): Promise<number> {
	const spawnedAt = performance.now();
	const worker = cluster.fork();
	const pid = worker.process.pid!;
	const ref: WorkerRef = {kind: 'process', pid};
	const ids = new Map<number, number>();
	workers.connections.set(worker, ids);
	let started = false;
	const relay = connectionRelay(context, ref, ids, workers.refusal);
	return new Promise<number>((resolve, reject) => {
		const timer = setTimeout(
			() => reject(new Error(`cluster worker pid ${pid} did not start`)),
			READY_TIMEOUT_MS,
		);
		const settle: StartSettle = {
			listening(port) {
				clearTimeout(timer);
				started = true;
				workers.ready.add(worker);
				emitChildUp(context, ref, null, spawnedAt);
				resolve(port);
			},
			failed(error) {
				clearTimeout(timer);
				reject(error);
			},
		};
		worker.on('message', (report: ChildReport, handle?: ListenerHandle) => {
			if (report.type === 'copy-listener') sendListenerCopies(worker, handle, report.count);
			else if (!relay(report)) answerStartReport(context, worker, workers, report, settle);
		});
		worker.process.once('exit', (code, signal) => {
			clearTimeout(timer);
			const reason = forgetWorker(context, workers, worker, ref, {code, signal});
			reject(new Error(`cluster worker pid ${pid} ended (${reason})`));
			if (workers.stopping || !started) return;
			const text = `cluster worker pid ${pid} died: starting a replacement`;
			context.emit({type: 'log', level: 'warn', text, at: Date.now()});
			startWorker(context, workers).catch(() => {});
		});
	});
}

type ListenerHandle = {close(): void};

/**
 * Sends a worker its listening handle back `count` times: each arrives as a descriptor of its own,
 * one more accept handle in the worker's loop (acceptor.ts says why). This process's copy is closed
 * once the last is written, or when the worker ends first.
 */
function sendListenerCopies(
	worker: Worker,
	handle: ListenerHandle | undefined,
	count: number,
): void {
	if (!handle) return;
	let open = true;
	const close = () => {
		if (open) handle.close();
		open = false;
	};
	worker.process.once('exit', close);
	let written = 0;
	for (let i = 0; i < count; i++) {
		worker.send({type: 'listener-copy'} satisfies ChildCommand, handle as never, () => {
			if (++written === count) close();
		});
	}
}

type StartSettle = {
	listening(port: number): void;
	failed(error: Error): void;
};

/** A starting worker's reports: a first `ready` asks for its orders, a second says it listens; or it could not listen. */
function answerStartReport(
	{config, settings, backlog}: ModeContext,
	worker: Worker,
	{size, accept, port}: Workers,
	report: ChildReport,
	settle: StartSettle,
): void {
	if (report.type === 'ready' && report.port === undefined) {
		worker.send({
			type: 'cluster',
			host: config.host,
			port: accept === 'round-robin' ? port : config.port,
			handler: config.handler,
			settings: settings(),
			backlog,
			size,
			accept,
		} satisfies ChildCommand);
	} else if (report.type === 'ready') {
		settle.listening(report.port!);
	} else if (report.type === 'listen-failed') {
		const error = Object.assign(new Error(report.message), {code: report.code});
		settle.failed(explainListenError(error, config.host, config.port));
	}
}

/** A worker ended: its connections close with it. Returns why it ended. */
function forgetWorker(
	context: ModeContext,
	workers: Workers,
	worker: Worker,
	ref: WorkerRef,
	exit: {readonly code: number | null; readonly signal: NodeJS.Signals | null},
): string {
	const ids = workers.connections.get(worker);
	workers.connections.delete(worker);
	workers.ready.delete(worker);
	for (const id of ids?.values() ?? []) context.emit({type: 'conn-close', id, at: Date.now()});
	ids?.clear();
	return emitChildDown(context, ref, exit, workers.stopping);
}

/**
 * Round-robin: accepts here (paused, so no byte is read) and sends each connection to the next child
 * that serves, which owns it from then on; this process keeps no copy. Accepts through several
 * handles, as async does, so a storm is not held to one accept a turn.
 */
function dealConnections(workers: Workers): Acceptor {
	let turn = 0;
	return new Acceptor({pauseOnConnect: true}, (socket) => {
		ignoreSocketErrors(socket);
		const ready = [...workers.ready].filter((worker) => worker.isConnected());
		if (ready.length === 0) {
			socket.destroy();
			return;
		}
		const worker = ready[turn++ % ready.length]!;
		handOver(worker.process, {type: 'conn'}, socket);
	});
}

export const clusterMode: ModeEntry = {
	summary: 'pre-forked processes, one a core; connections dealt to them in turn',
	backlog: 511,
	benchBacklog: 4096,
	// A child a core.
	memory: (_clients, {cores}) => cores * PROCESS_COST_BYTES,
	fdCost: 1,
	// The tutorial never mentions a cluster: no words of its are credited to this row.
	tutorial: {
		scalability: 'not in tutorial',
		complexity: '',
		bestFor: '',
		from: 'absent',
	},
	create: createClusterMode,
};

/**
 * What a worker reports about its connections, as the dashboard's events: opened (a new
 * dashboard-wide id), closed, refused, and the shared child reports. False for any other report.
 */
function connectionRelay(
	context: ModeContext,
	ref: WorkerRef,
	ids: Map<number, number>,
	refusal: () => {readonly limit: number; readonly why: string},
): (report: ChildReport) => boolean {
	const {emit} = context;
	return (report) => {
		if (relayConnectionReport(context, report, (local) => ids.get(local))) return true;
		if (report.type === 'conn-open') {
			const id = context.nextConnectionId();
			ids.set(report.local, id);
			emit({type: 'conn-open', id, peer: report.peer, state: 'active', by: ref, at: Date.now()});
		} else if (report.type === 'conn-close') {
			const id = ids.get(report.local);
			ids.delete(report.local);
			if (id !== undefined) emit({type: 'conn-close', id, at: Date.now()});
		} else if (report.type === 'refused') {
			emit({type: 'refused', peer: report.peer, ...refusal(), at: Date.now()});
		} else {
			return false;
		}
		return true;
	};
}

/** Ends a worker and waits for its channel to close (bounded), which frees the shared port. */
async function stopWorker(worker: Worker): Promise<void> {
	const child = worker.process;
	// The primary gives up its copy of the shared listening socket when the worker's channel
	// closes, which can come after 'exit': until then the port is still taken (seen in the soak as
	// EADDRINUSE on the next model's listen).
	const disconnected = child.connected
		? new Promise((resolve) => child.once('disconnect', resolve))
		: undefined;
	await endChild(child);
	// Bounded: a 'disconnect' that never comes (seen once in CI, after the exit) must not leave
	// stop() pending forever; a port still held is retried by the host's switch.
	if (disconnected) {
		const timeout = new AbortController();
		await Promise.race([
			disconnected,
			delay(DISCONNECT_WAIT_MS, undefined, {signal: timeout.signal}).catch(() => {}),
		]);
		timeout.abort();
	}
}
