import net, {type Socket} from 'node:net';
import {acceptErrors, formatAddress, ignoreSocketErrors, refuseOverBudget} from '../connection.js';
import {EchoThread} from '../echo-thread.js';
import {closeServer, listen} from '../listen.js';
import {THREAD_COST_BYTES, workerBudget, type ModeFactory, type ModeEntry} from '../mode.js';
import {SpawnGate} from '../spawn-gate.js';

const MAIN = {kind: 'main'} as const;
/** What a connection waiting for its thread may send before it is no longer read. */
const EARLY_BYTES = 64 * 1024;

/** File descriptors one connection costs the server: A socket, and the worker's own event loop (epoll, eventfd, ...): 5 in all, measured with 20 clients. */
const FDS_PER_CONNECTION = 5;

/**
 * About 8 MB of RSS per worker thread, measured (bench/thread-cost.ts); 10 MB keeps a margin. 64 a
 * core: idle threads cost no CPU, but each start does, and 283 threads on 2 cores answered nothing.
 */
export const THREAD_COST = {
	what: 'threads',
	bytes: THREAD_COST_BYTES,
	perCore: 64,
	fds: FDS_PER_CONNECTION,
} as const;

/**
 * Reads what a connection sends while it waits for its thread (up to EARLY_BYTES), so that a client
 * that leaves meanwhile is seen: a reset that arrives while the connection is still in the kernel's
 * accept queue shows up as an end of stream, which Node reports only once the bytes before it are
 * read. Returns the function that stops and hands the bytes back to the socket.
 */
function holdEarlyBytes(socket: Socket): () => void {
	const early: Buffer[] = [];
	let size = 0;
	const collect = (chunk: Buffer) => {
		early.push(chunk);
		size += chunk.length;
		if (size > EARLY_BYTES) socket.pause();
	};
	socket.on('data', collect);
	socket.resume();
	return () => {
		socket.off('data', collect);
		socket.pause();
		if (size > 0) socket.unshift(Buffer.concat(early));
	};
}

/**
 * Threads started ahead of need, as Apache keeps MinSpareThreads: a Worker takes about 120 ms to
 * start alone and 0.45–0.54 s when 14 start at once (design.md), so newcomers that each waited for
 * their own thread waited that long. A newcomer takes a ready spare and a new spare starts behind
 * it; each client still has a thread of its own. The spares show as threads with no connection.
 */
export const SPARE_THREADS = 16;

/**
 * The tutorial's threading server: a new worker thread per client, which handles that client until
 * it disconnects and then ends. Thread count (and memory) rises and falls with the clients. With
 * no spare ready, threads start a few at a time (SpawnGate), and a client that leaves before its
 * thread starts never costs one: after a storm of connect-and-reset the server is back to idle in
 * seconds, not minutes.
 */
export const createThreadMode: ModeFactory = (context) => {
	const {config, emit, nextConnectionId, traffic, settings, admit} = context;
	const sockets = new Set<Socket>();
	const threads = new Set<EchoThread>();
	/** Started, serving no one yet, oldest first. */
	const spares: EchoThread[] = [];
	let running = false;
	const gate = new SpawnGate();
	const budget = workerBudget(THREAD_COST, settings().maxWorkers);

	const startThread = (connection?: number): EchoThread => {
		const thread = new EchoThread({
			mode: context.name,
			handler: config.handler,
			settings: settings(),
			traffic,
			emit,
			...(connection === undefined ? {} : {connection}),
			onExit: () => {
				threads.delete(thread);
				const spare = spares.indexOf(thread);
				if (spare !== -1) spares.splice(spare, 1);
				topUp();
			},
		});
		threads.add(thread);
		return thread;
	};
	/**
	 * Keeps SPARE_THREADS ready, within the thread budget, starting one at a time: fourteen starts
	 * at once took the cores from the clients that had just been given the spares.
	 */
	let starting = false;
	const topUp = () => {
		if (starting || !running || spares.length >= SPARE_THREADS || threads.size >= budget.limit)
			return;
		starting = true;
		const spare = startThread();
		spares.push(spare);
		void spare.ready.then(() => {
			starting = false;
			topUp();
		});
	};

	/** Serves connection `id` on `thread` from now on. */
	const serve = (id: number, socket: Socket, thread: EchoThread, queued: boolean) => {
		if (queued) emit({type: 'conn-serve', id, by: thread.ref, at: Date.now()});
		else {
			const peer = formatAddress(socket.remoteAddress, socket.remotePort);
			emit({type: 'conn-open', id, peer, state: 'active', by: thread.ref, at: Date.now()});
		}
		thread.attach(id, socket);
	};

	const server = net.createServer({pauseOnConnect: true}, (socket) => {
		if (!admit(socket)) return;
		if (threads.size - spares.length + gate.waiting >= budget.limit) {
			refuseOverBudget(socket, budget, emit);
			return;
		}
		const id = nextConnectionId();
		sockets.add(socket);
		ignoreSocketErrors(socket);
		let thread = spares.shift();
		const queued = !thread && !gate.isFree;
		socket.once('close', () => {
			sockets.delete(socket);
			if (thread || queued) emit({type: 'conn-close', id, at: Date.now()});
			thread?.detach();
			void thread?.terminate();
		});
		if (thread) {
			serve(id, socket, thread, false);
			topUp();
			return;
		}
		if (queued) {
			const peer = formatAddress(socket.remoteAddress, socket.remotePort);
			emit({
				type: 'conn-open',
				id,
				peer,
				state: 'queued',
				by: MAIN,
				waitIn: 'line',
				at: Date.now(),
			});
		}
		const release = holdEarlyBytes(socket);
		gate.enter(socket, async () => {
			release();
			const started = startThread(id);
			thread = started;
			serve(id, socket, started, queued);
			await started.ready;
		});
	});

	return {
		name: context.name,
		budget,
		async start() {
			const port = await listen(server, config.host, config.port, undefined, acceptErrors(emit));
			running = true;
			topUp();
			emit({
				type: 'log',
				level: 'info',
				text: `${SPARE_THREADS} spare threads started ahead, so a newcomer need not wait for a thread to start`,
				at: Date.now(),
			});
			return port;
		},
		async stop() {
			running = false;
			spares.length = 0;
			gate.clear();
			await closeServer(server, sockets);
			await Promise.all([...threads].map((thread) => thread.terminate()));
		},
		crashWorker() {
			// A thread with a client: crashing a spare would show nothing.
			const thread = [...threads].find((candidate) => candidate.connection !== null);
			if (!thread) return null;
			thread.crash();
			return `thread #${thread.ref.id}`;
		},
		configure(next) {
			for (const thread of threads) thread.configure(next);
		},
	};
};

export const threadMode: ModeEntry = {
	summary: 'a worker thread per client, ended when it leaves; 16 spares kept started',
	fdCost: FDS_PER_CONNECTION,
	create: createThreadMode,
};
