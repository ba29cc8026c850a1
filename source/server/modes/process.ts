import type {ChildProcess} from 'node:child_process';
import net, {type Socket} from 'node:net';
import {performance} from 'node:perf_hooks';
import type {ChildCommand, ChildReport, WorkerRef} from '../protocol.js';
import {acceptErrors, formatAddress, ignoreSocketErrors, refuseOverBudget} from '../connection.js';
import {listen} from '../listen.js';
import {announceOnMain} from '../main-thread.js';
import {PeerWatch} from '../peer-watch.js';
import {SpawnGate} from '../spawn-gate.js';
import {
	PROCESS_COST_BYTES,
	workerBudget,
	type ModeContext,
	type ModeFactory,
	type ModeEntry,
} from '../mode.js';
import {
	emitChildDown,
	emitChildUp,
	endChild,
	forkChild,
	relayConnectionReport,
} from '../serving-child.js';

/** File descriptors one connection costs the server: A socket, and the IPC channel to the child kept open while it serves. */
const FDS_PER_CONNECTION = 2;

/**
 * About 42 MB of RSS per child (8.5 MB of it private); 50 MB keeps a margin. 16 a core: a child
 * costs a core 80-150 ms to start, and 110 children on 2 cores took 4.5 GB.
 */
export const PROCESS_COST = {
	what: 'child processes',
	bytes: PROCESS_COST_BYTES,
	perCore: 16,
	fds: FDS_PER_CONNECTION,
} as const;

/**
 * The tutorial's multiprocessing server: a child process per client. The socket is passed to the
 * child as a handle (the parent's copy closes once sent), so the child alone owns it; killing the
 * child ends that client's connection and nobody else's.
 */
export const createProcessMode: ModeFactory = (context) => {
	const {config, emit, nextConnectionId, settings, admit} = context;
	const family: Children = {
		children: new Set(),
		handedOver: new Map(),
		pending: new Set(),
		stopping: false,
	};
	const {children} = family;
	const gate = new SpawnGate();
	const watch = new PeerWatch();
	const budget = workerBudget(PROCESS_COST, settings().maxWorkers);

	const server = net.createServer({pauseOnConnect: true}, (socket) => {
		if (!admit(socket)) return;
		if (children.size + gate.waiting >= budget.limit) {
			refuseOverBudget(socket, budget, emit);
			return;
		}
		const id = nextConnectionId();
		ignoreSocketErrors(socket);
		const queued = !gate.isFree;
		const markStarted = queued ? waitInLine(context, watch, socket, id) : () => {};
		gate.enter(socket, () => {
			markStarted();
			watch.delete(socket);
			return startChild(context, family, id, socket, queued);
		});
	});

	return {
		name: context.name,
		budget,
		start: () => listen(server, config.host, config.port, undefined, acceptErrors(emit)),
		async stop() {
			family.stopping = true;
			gate.clear();
			watch.stop();
			await stopChildren(server, family);
		},
		crashWorker() {
			const child = children.values().next().value;
			if (!child?.pid) return null;
			child.kill('SIGKILL');
			return `pid ${child.pid}`;
		},
		configure(next) {
			const command: ChildCommand = {type: 'settings', settings: next};
			for (const child of children) if (child.connected) child.send(command);
		},
	};
};

/**
 * Shows a connection waiting for its turn to start a child as queued in line. Paused, it would never
 * see its client leave: the kernel is asked instead. Returns what marks it started.
 */
function waitInLine(
	{emit}: Pick<ModeContext, 'emit'>,
	watch: PeerWatch,
	socket: Socket,
	id: number,
): () => void {
	let started = false;
	watch.add(socket);
	announceOnMain(emit, socket, id, true);
	socket.once('close', () => {
		watch.delete(socket);
		if (!started) emit({type: 'conn-close', id, at: Date.now()});
	});
	return () => {
		started = true;
	};
}

/** Closes the listener and ends every child, each once it owns its socket. */
async function stopChildren(server: net.Server, family: Children): Promise<void> {
	// Sockets sent to a child leave the server's connection count unbalanced, so close()'s
	// callback may never come; the listener itself is closed at once all the same.
	for (const socket of family.pending) socket.destroy();
	if (server.listening) server.close();
	await Promise.all(
		[...family.children].map(async (child) => {
			await family.handedOver.get(child);
			await endChild(child);
		}),
	);
}

/** The children of process per client, shared by the code that starts them and stop(). */
type Children = {
	readonly children: Set<ChildProcess>;
	/** Per child: settles once the child owns its socket (or is gone), so stop never kills a child mid-handover and strands the socket. */
	readonly handedOver: Map<ChildProcess, Promise<void>>;
	/** Sockets not yet handed over to their child. */
	readonly pending: Set<Socket>;
	stopping: boolean;
};

/** Forks the child of connection `id`; settles once it owns the socket (or is gone). */
function startChild(
	context: ModeContext,
	family: Children,
	id: number,
	socket: Socket,
	queued: boolean,
): Promise<void> {
	const {emit} = context;
	// Read family.stopping when a child ends, not now: stop() may come in between.
	const {children, handedOver, pending} = family;
	const peer = formatAddress(socket.remoteAddress, socket.remotePort);
	const spawnedAt = performance.now();
	const child = forkChild();
	const pid = child.pid;
	if (pid === undefined) {
		socket.destroy();
		if (queued) emit({type: 'conn-close', id, at: Date.now()});
		return Promise.resolve();
	}
	const ref: WorkerRef = {kind: 'process', pid};
	children.add(child);
	pending.add(socket);
	if (queued) emit({type: 'conn-serve', id, by: ref, at: Date.now()});
	else emit({type: 'conn-open', id, peer, state: 'active', by: ref, at: Date.now()});
	child.on('error', () => {});
	const owned = ownsSocket(child);
	handedOver.set(child, owned);
	child.on('message', (report: ChildReport) => {
		if (relayConnectionReport(context, report, () => id)) return;
		if (report.type === 'ready') {
			emitChildUp(context, ref, id, spawnedAt);
			handOverSocket(child, socket, id, context, () => pending.delete(socket));
		}
	});
	child.once('exit', (code, signal) => {
		children.delete(child);
		handedOver.delete(child);
		pending.delete(socket);
		socket.destroy();
		emit({type: 'conn-close', id, at: Date.now()});
		const expected = family.stopping || code === 0;
		const reason = emitChildDown(context, ref, {code, signal}, expected);
		if (!expected) {
			emit({
				type: 'log',
				level: 'warn',
				text: `pid ${pid} ended (${reason}): only connection #${id} was lost`,
				at: Date.now(),
			});
		}
	});
	return owned;
}

/** Settles once the child says it owns its socket, or has ended, or after 5 s. */
function ownsSocket(child: ChildProcess): Promise<void> {
	return new Promise<void>((resolve) => {
		const timer = setTimeout(resolve, 5000);
		const done = () => {
			clearTimeout(timer);
			resolve();
		};
		child.on('message', (report: ChildReport) => {
			if (report.type === 'owned') done();
		});
		child.once('exit', done);
	});
}

/**
 * Sends the client's socket to its child, once the child says it is ready. Sent at once, as before,
 * a socket whose client left while several children were starting under load left children that
 * never ended (5 of 6 in a repro, none after this change); why, inside Node's handle passing, is not
 * pinned down.
 */
function handOverSocket(
	child: ChildProcess,
	socket: Socket,
	id: number,
	{config, settings}: Pick<ModeContext, 'config' | 'settings'>,
	onSent: () => void,
): void {
	const command: ChildCommand = {type: 'socket', id, handler: config.handler, settings: settings()};
	if (!child.connected) return;
	child.send(command, socket, (error) => {
		onSent();
		if (error) child.kill('SIGKILL');
	});
}

export const processMode: ModeEntry = {
	summary: 'a new child process per client, owning its socket',
	fdCost: FDS_PER_CONNECTION,
	tutorial: {
		scalability: 'Medium',
		complexity: 'Medium',
		bestFor: 'CPU-bound, isolation needed',
		from: 'table',
	},
	create: createProcessMode,
};
