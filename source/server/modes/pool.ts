import net, {type Socket} from 'node:net';
import os from 'node:os';
import type {ServerSettings} from '../protocol.js';
import {acceptErrors, formatAddress, ignoreSocketErrors} from '../connection.js';
import {EchoThread} from '../echo-thread.js';
import {closeServer, listen} from '../listen.js';
import type {ModeContext, ModeFactory, ServerMode, ModeEntry} from '../mode.js';
import {PeerWatch} from '../peer-watch.js';

type Waiting = {readonly id: number; readonly socket: Socket};

/** The tutorial's hybrid: min(50, cpu count + 4) threads, as ThreadPoolExecutor's default. */
export function hybridPoolSize(): number {
	return Math.min(50, os.availableParallelism() + 4);
}

/**
 * The tutorial's ThreadPoolExecutor server: a fixed set of worker threads, each serving one whole
 * connection at a time. Connections beyond the pool are accepted, kept paused, and wait in a
 * first-in, first-out queue until a thread frees up.
 */
function createPool(
	context: ModeContext,
	size: (settings: ServerSettings) => number,
	backlog: number,
): ServerMode {
	const {config, emit, nextConnectionId, traffic, settings, admit} = context;
	const sockets = new Set<Socket>();
	const threads = new Set<EchoThread>();
	const idle: EchoThread[] = [];
	const queue: Waiting[] = [];
	/** Ends queued sockets whose client left: paused, they would never see it themselves. */
	const watch = new PeerWatch();
	let target = size(settings());
	let stopping = false;
	/** Threads asked to end; out of `threads` at once, so sizes count only those staying. */
	const ending = new Set<Promise<void>>();

	const retire = (thread: EchoThread) => {
		threads.delete(thread);
		const done = thread.terminate();
		ending.add(done);
		void done.then(() => ending.delete(done));
	};

	const spawn = () => {
		const thread = new EchoThread({
			mode: context.name,
			handler: config.handler,
			settings: settings(),
			traffic,
			emit,
			onExit(gone, crashed) {
				threads.delete(gone);
				const at = idle.indexOf(gone);
				if (at !== -1) idle.splice(at, 1);
				if (crashed && !stopping) {
					emit({
						type: 'log',
						level: 'warn',
						text: `thread #${gone.ref.id} crashed: starting a replacement`,
						at: Date.now(),
					});
					fill();
				}
			},
		});
		threads.add(thread);
		idle.push(thread);
	};

	/** Starts threads up to the target size, then hands queued connections to idle threads. */
	const fill = () => {
		while (threads.size < target) spawn();
		dispatch();
	};

	const dispatch = () => {
		while (idle.length > 0 && queue.length > 0) {
			const thread = idle.shift()!;
			const next = queue.shift()!;
			emit({type: 'conn-serve', id: next.id, by: thread.ref, at: Date.now()});
			serve(thread, next);
		}
	};

	const serve = (thread: EchoThread, connection: Waiting) => {
		watch.delete(connection.socket);
		emit({type: 'worker-busy', worker: thread.ref, connection: connection.id, at: Date.now()});
		thread.attach(connection.id, connection.socket);
		connection.socket.once('close', () => {
			thread.detach();
			if (stopping || !threads.has(thread)) return;
			emit({type: 'worker-busy', worker: thread.ref, connection: null, at: Date.now()});
			if (threads.size > target) {
				retire(thread);
				return;
			}
			idle.push(thread);
			dispatch();
		});
	};

	const server = net.createServer({pauseOnConnect: true}, (socket) => {
		if (!admit(socket)) return;
		const id = nextConnectionId();
		sockets.add(socket);
		ignoreSocketErrors(socket);
		const peer = formatAddress(socket.remoteAddress, socket.remotePort);
		socket.once('close', () => {
			sockets.delete(socket);
			watch.delete(socket);
			const waiting = queue.findIndex((entry) => entry.socket === socket);
			if (waiting !== -1) queue.splice(waiting, 1);
			emit({type: 'conn-close', id, at: Date.now()});
		});
		const thread = queue.length === 0 ? idle.shift() : undefined;
		if (thread) {
			emit({type: 'conn-open', id, peer, state: 'active', by: thread.ref, at: Date.now()});
			serve(thread, {id, socket});
		} else {
			emit({
				type: 'conn-open',
				id,
				peer,
				state: 'queued',
				by: {kind: 'main'},
				waitIn: 'pool',
				at: Date.now(),
			});
			queue.push({id, socket});
			watch.add(socket);
		}
	});

	return {
		name: context.name,
		async start() {
			fill();
			return listen(server, config.host, config.port, backlog, acceptErrors(emit));
		},
		async stop() {
			stopping = true;
			queue.length = 0;
			watch.stop();
			await closeServer(server, sockets);
			await Promise.all([...[...threads].map((thread) => thread.terminate()), ...ending]);
		},
		crashWorker() {
			const busy = [...threads].find((thread) => thread.connection !== null);
			const thread = busy ?? threads.values().next().value;
			if (!thread) return null;
			thread.crash();
			return `thread #${thread.ref.id}`;
		},
		configure(next) {
			for (const thread of threads) thread.configure(next);
			const wanted = size(next);
			if (wanted === target) return;
			target = wanted;
			// Shrinking ends idle threads now; busy ones finish their connection first.
			while (threads.size > target && idle.length > 0) retire(idle.pop()!);
			fill();
			emit({type: 'log', level: 'info', text: `pool size ${target}`, at: Date.now()});
		},
	};
}

export const createPoolMode: ModeFactory = (context) =>
	createPool(context, (settings) => settings.poolSize, 511);

/** The tutorial's listen(10) over listen(5): a larger backlog, here the kernel's usual ceiling. */
export const createHybridMode: ModeFactory = (context) =>
	createPool(context, () => hybridPoolSize(), 4096);

export const poolMode: ModeEntry = {
	summary: 'a fixed pool of worker threads; extra clients wait for a free one',
	fdCost: 1,
	create: createPoolMode,
};

export const hybridMode: ModeEntry = {
	summary: 'a pool of min(50, cores + 4) threads and a larger backlog',
	fdCost: 1,
	create: createHybridMode,
};
