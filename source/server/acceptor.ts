import {fork, type ChildProcess} from 'node:child_process';
import net, {type Server, type ServerOpts, type Socket} from 'node:net';
import {acceptHandles} from './fd-limit.js';
import {closeServer, listen} from './listen.js';

const COPIES_ENTRY = new URL('listener-copies.js', import.meta.url);

type Handle = {close(): void};

/**
 * A listener whose socket is accepted from by acceptHandles() handles in this event loop, each a
 * descriptor of its own (duplicated by a short-lived child, listener-copies.ts) so that each has its
 * own epoll registration, and each closes only its own descriptor.
 */
export class Acceptor {
	readonly #options: ServerOpts;
	readonly #onConnection: (socket: Socket) => void;
	readonly #servers: Server[];
	#helper: ChildProcess | undefined;
	#closed = false;
	#accepting: Promise<void> = Promise.resolve();

	constructor(options: ServerOpts, onConnection: (socket: Socket) => void) {
		this.#options = options;
		this.#onConnection = onConnection;
		this.#servers = [net.createServer(options, onConnection)];
	}

	/**
	 * Listens and resolves with the bound port at once; the other handles join when the child has
	 * duplicated them (0.1-0.5 s), which `accepting` waits for. Without them it accepts all the same.
	 */
	async listen(
		host: string,
		port: number,
		backlog: number,
		onAcceptError: (error: NodeJS.ErrnoException) => void,
	): Promise<number> {
		const bound = await listen(this.#servers[0]!, host, port, backlog, onAcceptError);
		this.#accepting = this.#addCopies(acceptHandles() - 1, backlog, onAcceptError);
		return bound;
	}

	/** Resolves once every accept handle listens, or once it is known that some never will. */
	get accepting(): Promise<void> {
		return this.#accepting;
	}

	/** Stops accepting on every handle and ends every open connection. */
	async close(
		sockets: Iterable<Socket>,
		{drain = true}: {readonly drain?: boolean} = {},
	): Promise<void> {
		this.#closed = true;
		this.#helper?.kill('SIGKILL');
		if (!drain) {
			// The connections were handed on (cluster's dealer): only the listening descriptors close,
			// at once. Node's close callback would wait on each child it sent sockets to, and one that
			// died never answers.
			for (const server of this.#servers) if (server.listening) server.close();
			return;
		}
		const [first, ...copies] = this.#servers;
		await Promise.all([
			...copies.map((copy) => closeServer(copy, [])),
			closeServer(first!, sockets),
		]);
	}

	#addCopies(
		count: number,
		backlog: number,
		onAcceptError: (error: NodeJS.ErrnoException) => void,
	): Promise<void> {
		if (this.#closed || count < 1) return Promise.resolve();
		return new Promise((resolve) => {
			const helper = fork(COPIES_ENTRY, [], {
				stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
				execArgv: [],
			});
			this.#helper = helper;
			let received = 0;
			// Resolved when the child has ended: it ends when the channel closes, or on its own if it fails.
			const ended = () => {
				if (this.#helper === helper) this.#helper = undefined;
				resolve();
			};
			helper.on('message', (message, handle: Handle | undefined) => {
				if (message === 'ready') this.#sendTo(helper, count);
				if (!handle) return;
				if (this.#closed) handle.close();
				else this.#listenOn(handle, backlog, onAcceptError);
				if (++received === count && helper.connected) helper.disconnect();
			});
			helper.once('exit', ended);
			// Every error, not only the first: a write to a child that just ended is one too.
			helper.on('error', ended);
		});
	}

	/** Sends the child the listening handle, only once it is up: it then holds it for milliseconds. */
	#sendTo(helper: ChildProcess, count: number): void {
		if (this.#closed || !helper.connected) return;
		// The raw handle, not the Server: sent as a Server, the child would start accepting too.
		helper.send(count, (this.#servers[0] as unknown as {_handle: Handle})._handle as never);
	}

	#listenOn(
		handle: Handle,
		backlog: number,
		onAcceptError: (error: NodeJS.ErrnoException) => void,
	): void {
		const server = net.createServer(this.#options, this.#onConnection);
		server.on('error', onAcceptError);
		// listen() again on the shared socket: the backlog given here replaces the socket's, so it is the same.
		server.listen(handle, backlog);
		this.#servers.push(server);
	}
}
