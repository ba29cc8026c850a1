import net, {type Socket} from 'node:net';
import {acceptErrors, formatAddress, ignoreSocketErrors, refuseOverBudget} from '../connection.js';
import {EchoThread} from '../echo-thread.js';
import {closeServer, listen} from '../listen.js';
import {THREAD_COST_BYTES, workerBudget, type ModeFactory} from '../mode.js';

const THREAD_BUDGET = workerBudget(THREAD_COST_BYTES);

/**
 * The tutorial's threading server: a new worker thread per client, which handles that client until
 * it disconnects and then ends. Thread count (and memory) rises and falls with the clients.
 */
export const createThreadMode: ModeFactory = (context) => {
	const {config, emit, nextConnectionId, traffic, settings, admit} = context;
	const sockets = new Set<Socket>();
	const threads = new Set<EchoThread>();

	const server = net.createServer({pauseOnConnect: true}, (socket) => {
		if (!admit(socket)) return;
		if (threads.size >= THREAD_BUDGET) {
			refuseOverBudget(socket, THREAD_BUDGET, 'threads', emit);
			return;
		}
		const id = nextConnectionId();
		sockets.add(socket);
		ignoreSocketErrors(socket);
		const thread = new EchoThread({
			mode: context.name,
			handler: config.handler,
			settings: settings(),
			traffic,
			emit,
			connection: id,
			onExit: () => threads.delete(thread),
		});
		threads.add(thread);
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
		start: () => listen(server, config.host, config.port, undefined, acceptErrors(emit)),
		async stop() {
			await closeServer(server, sockets);
			await Promise.all([...threads].map((thread) => thread.terminate()));
		},
		crashWorker() {
			const thread = threads.values().next().value;
			if (!thread) return null;
			thread.crash();
			return `thread #${thread.ref.id}`;
		},
		configure(next) {
			for (const thread of threads) thread.configure(next);
		},
	};
};
