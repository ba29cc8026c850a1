import net, {type Socket} from 'node:net';
import {acceptErrors, formatAddress, ignoreSocketErrors, refuseOverBudget} from '../connection.js';
import {EchoThread} from '../echo-thread.js';
import {closeServer, listen} from '../listen.js';
import {THREAD_COST_BYTES, workerBudget, type ModeFactory} from '../mode.js';

const THREAD_BUDGET = workerBudget(THREAD_COST_BYTES);

/**
 * Threads started ahead of need, as Apache keeps MinSpareThreads: a Worker takes about 120 ms to
 * start alone and 0.45–0.54 s when 14 start at once (design.md), so newcomers that each waited for
 * their own thread waited that long. A newcomer takes a ready spare and a new spare starts behind
 * it; each client still has a thread of its own. The spares show as threads with no connection.
 */
export const SPARE_THREADS = 16;

/**
 * The tutorial's threading server: a new worker thread per client, which handles that client until
 * it disconnects and then ends. Thread count (and memory) rises and falls with the clients.
 */
export const createThreadMode: ModeFactory = (context) => {
	const {config, emit, nextConnectionId, traffic, settings, admit} = context;
	const sockets = new Set<Socket>();
	const threads = new Set<EchoThread>();
	/** Started, serving no one yet, oldest first. */
	const spares: EchoThread[] = [];
	let running = false;

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
		if (starting || !running || spares.length >= SPARE_THREADS || threads.size >= THREAD_BUDGET)
			return;
		starting = true;
		const spare = startThread();
		spares.push(spare);
		void spare.ready.then(() => {
			starting = false;
			topUp();
		});
	};

	const server = net.createServer({pauseOnConnect: true}, (socket) => {
		if (!admit(socket)) return;
		if (spares.length === 0 && threads.size >= THREAD_BUDGET) {
			refuseOverBudget(socket, THREAD_BUDGET, 'threads', emit);
			return;
		}
		const id = nextConnectionId();
		sockets.add(socket);
		ignoreSocketErrors(socket);
		const thread = spares.shift() ?? startThread(id);
		topUp();
		const peer = formatAddress(socket.remoteAddress, socket.remotePort);
		emit({type: 'conn-open', id, peer, state: 'active', by: thread.ref, at: Date.now()});
		socket.once('close', () => {
			sockets.delete(socket);
			emit({type: 'conn-close', id, at: Date.now()});
			thread.detach();
			void thread.terminate();
		});
		thread.attach(id, socket);
	});

	return {
		name: context.name,
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
