import net, {type Socket} from 'node:net';
import {acceptErrors} from '../connection.js';
import {closeServer, listen} from '../listen.js';
import {acceptOnMain, MAIN, serveOnMain} from '../main-thread.js';
import type {ModeContext, ModeFactory, ModeEntry} from '../mode.js';
import {PeerWatch} from '../peer-watch.js';

type Client = {readonly id: number; readonly socket: Socket};

/**
 * The tutorial's problem server: `accept(); handle_client()` in a loop. Node accepts eagerly, so
 * connections are accepted paused and wait in a first-in, first-out line; only the head of the line
 * is read from and answered, until it disconnects.
 */
export const createSequentialMode: ModeFactory = (context) => {
	const {config, emit} = context;
	const sockets = new Set<Socket>();
	const line = new Line(context);
	const server = net.createServer({pauseOnConnect: true}, (socket) => {
		const id = acceptOnMain(context, sockets, socket, {queued: line.isBusy});
		if (id !== undefined) line.join({id, socket});
	});
	return {
		name: 'sequential',
		start: () => listen(server, config.host, config.port, undefined, acceptErrors(emit)),
		async stop() {
			line.stop();
			await closeServer(server, sockets);
		},
	};
};

/** The client being served and the line behind it, first in, first out. */
class Line {
	readonly #context: ModeContext;
	readonly #waiting: Client[] = [];
	#serving: Client | undefined;
	/** Paused, a waiting socket never sees its client leave: the kernel is asked instead. */
	readonly #watch = new PeerWatch();

	constructor(context: ModeContext) {
		this.#context = context;
	}

	/** Someone is being served: a newcomer waits. */
	get isBusy(): boolean {
		return this.#serving !== undefined;
	}

	/** Serves `client` at once if nobody is served, or puts it at the end of the line. */
	join(client: Client): void {
		client.socket.once('close', () => this.#leave(client));
		if (this.#serving) {
			this.#waiting.push(client);
			this.#watch.add(client.socket);
		} else {
			this.#serve(client);
		}
	}

	stop(): void {
		this.#waiting.length = 0;
		this.#serving = undefined;
		this.#watch.stop();
	}

	/** A client closed: out of the line, or, if it was being served, the next one's turn. */
	#leave(client: Client): void {
		this.#watch.delete(client.socket);
		if (this.#serving !== client) {
			const waiting = this.#waiting.indexOf(client);
			if (waiting !== -1) this.#waiting.splice(waiting, 1);
			return;
		}
		this.#serving = undefined;
		const next = this.#waiting.shift();
		if (next) {
			this.#context.emit({type: 'conn-serve', id: next.id, by: MAIN, at: Date.now()});
			this.#serve(next);
		}
	}

	#serve(client: Client): void {
		this.#serving = client;
		this.#watch.delete(client.socket);
		serveOnMain(this.#context, client.socket, client.id);
		client.socket.resume();
	}
}

export const sequentialMode: ModeEntry = {
	summary: 'one client at a time; the rest wait in line',
	fdCost: 1,
	tutorial: {
		scalability: 'One at a time',
		complexity: 'Low',
		bestFor: 'Its issue: others wait',
		from: 'text',
	},
	create: createSequentialMode,
};
