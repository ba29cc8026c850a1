import {createHash, timingSafeEqual} from 'node:crypto';
import {chmodSync, unlinkSync} from 'node:fs';
import net, {type Socket} from 'node:net';
import type {Action} from '../controller.js';
import type {Snapshot} from '../metrics/snapshot.js';
import type {ConnectionWindow} from '../metrics/store.js';
import {listen} from '../server/listen.js';
import {
	encode,
	LineSplitter,
	MAX_OBSERVER_LINE,
	parseObserverMessage,
	PROTOCOL,
	type ServerMessage,
} from './wire.js';

/** What the control server needs from the Controller. */
export type ControlledSource = {
	readonly snapshot: Snapshot;
	readonly subscribe: (listener: (snapshot: Snapshot) => void) => () => void;
	readonly dispatch: (action: Action) => Promise<void>;
	readonly snapshotFor: (window: ConnectionWindow) => Snapshot;
};

export type ControlEndpoint =
	| {readonly kind: 'socket'; readonly path: string}
	| {readonly kind: 'tcp'; readonly host: string; readonly port: number};

export type ControlServerOptions = {
	readonly version: string;
	/** Observers must send it in their hello; null: none needed (local endpoints). */
	readonly token: string | null;
	readonly log: (text: string) => void;
	readonly maxObservers?: number;
};

/** A viewer that does not read: frames are skipped for it above this much unsent output. */
const MAX_BACKLOG = 1024 * 1024;
/** A connection that has not said hello by then is not an observer. */
const HELLO_TIMEOUT_MS = 5000;
const BAD_LINES_BEFORE_HANGUP = 20;

type Observer = {
	readonly id: number;
	readonly socket: Socket;
	readonly lines: LineSplitter;
	ready: boolean;
	window: ConnectionWindow;
	badLines: number;
};

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Lets observers watch and drive a Controller: pushes each snapshot (cut to the observer's own
 * window), carries out the actions they send. Every observer is on its own: its bad input or its
 * disconnect ends only its own connection.
 */
export class ControlServer {
	readonly #source: ControlledSource;
	readonly #options: ControlServerOptions;
	readonly #server: net.Server;
	readonly #observers = new Set<Observer>();
	#nextId = 1;
	#unsubscribe: (() => void) | undefined;
	#endpoint: ControlEndpoint | undefined;

	constructor(source: ControlledSource, options: ControlServerOptions) {
		this.#source = source;
		this.#options = options;
		this.#server = net.createServer((socket) => this.#accept(socket));
		this.#server.on('error', (error) => options.log(`control: ${error.message}`));
	}

	get endpoint(): ControlEndpoint | undefined {
		return this.#endpoint;
	}

	get observerCount(): number {
		return this.#observers.size;
	}

	/** Listens on a Unix socket (made 0600 at once, inside a 0700 folder). */
	async listenSocket(path: string): Promise<ControlEndpoint> {
		try {
			unlinkSync(path);
		} catch {
			// Usually there is none; a stale one of a reused pid goes.
		}
		await new Promise<void>((resolve, reject) => {
			this.#server.once('error', reject);
			this.#server.listen(path, () => {
				this.#server.off('error', reject);
				resolve();
			});
		});
		chmodSync(path, 0o600);
		this.#endpoint = {kind: 'socket', path};
		this.#start();
		return this.#endpoint;
	}

	async listenTcp(host: string, port: number): Promise<ControlEndpoint> {
		const bound = await listen(this.#server, host, port);
		this.#endpoint = {kind: 'tcp', host, port: bound};
		this.#start();
		return this.#endpoint;
	}

	async close(): Promise<void> {
		this.#unsubscribe?.();
		for (const observer of this.#observers) observer.socket.destroy();
		await new Promise<void>((resolve) => {
			if (!this.#server.listening) resolve();
			else this.#server.close(() => resolve());
		});
		if (this.#endpoint?.kind === 'socket') {
			try {
				unlinkSync(this.#endpoint.path);
			} catch {
				// Already gone.
			}
		}
	}

	#start(): void {
		this.#unsubscribe = this.#source.subscribe(() => {
			for (const observer of this.#observers) this.#push(observer);
		});
	}

	#accept(socket: Socket): void {
		const max = this.#options.maxObservers ?? 32;
		if (this.#observers.size >= max) {
			socket.end(encode({type: 'error', message: `too many observers (at most ${max})`}));
			socket.on('error', () => {});
			return;
		}
		const observer: Observer = {
			id: this.#nextId++,
			socket,
			lines: new LineSplitter(MAX_OBSERVER_LINE),
			ready: false,
			window: {offset: 0, limit: 20},
			badLines: 0,
		};
		this.#observers.add(observer);
		socket.setEncoding('utf8');
		socket.setNoDelay(true);
		const helloTimer = setTimeout(() => {
			if (!observer.ready) this.#hangUp(observer, 'no hello in time');
		}, HELLO_TIMEOUT_MS);
		socket.on('data', (chunk: string) => this.#receive(observer, chunk));
		socket.on('error', () => {});
		socket.on('close', () => {
			clearTimeout(helloTimer);
			if (this.#observers.delete(observer) && observer.ready) {
				this.#options.log(`observer ${observer.id} left (${this.#observers.size} watching)`);
			}
		});
		this.#send(observer, {
			type: 'hello',
			protocol: PROTOCOL,
			version: this.#options.version,
			pid: process.pid,
			tokenRequired: this.#options.token !== null,
		});
	}

	#receive(observer: Observer, chunk: string): void {
		if (!this.#observers.has(observer)) return;
		const lines = observer.lines.push(chunk);
		if (lines === 'overflow') {
			this.#hangUp(observer, `a line longer than ${MAX_OBSERVER_LINE} bytes`);
			return;
		}
		for (const line of lines) {
			if (!this.#observers.has(observer)) return;
			const message = parseObserverMessage(line);
			if (message === null) {
				// Unknown or malformed: dropped. A peer that sends nothing else is not an observer.
				if (++observer.badLines >= BAD_LINES_BEFORE_HANGUP)
					this.#hangUp(observer, 'too many malformed messages');
				continue;
			}
			if (message.type === 'hello') {
				if (!this.#tokenMatches(message.token)) {
					this.#hangUp(observer, 'wrong or missing token');
					return;
				}
				if (message.protocol !== PROTOCOL) {
					this.#hangUp(
						observer,
						`protocol ${message.protocol} is not ${PROTOCOL} (server version ${this.#options.version})`,
					);
					return;
				}
				if (!observer.ready) {
					observer.ready = true;
					this.#options.log(
						`observer ${observer.id} attached, version ${message.version} (${this.#observers.size} watching)`,
					);
				}
				this.#push(observer);
				continue;
			}
			if (!observer.ready) {
				this.#hangUp(observer, 'hello first');
				return;
			}
			if (message.type === 'window') {
				observer.window = message.window;
				this.#push(observer);
			} else {
				this.#options.log(`observer ${observer.id}: ${JSON.stringify(message.action)}`);
				void this.#source.dispatch(message.action);
			}
		}
	}

	#tokenMatches(given: string | undefined): boolean {
		const expected = this.#options.token;
		if (expected === null) return true;
		if (given === undefined) return false;
		return timingSafeEqual(digest(given), digest(expected));
	}

	#push(observer: Observer): void {
		if (!observer.ready || observer.socket.destroyed) return;
		// A viewer that does not keep up misses frames; it never makes the server buffer without end.
		if (observer.socket.writableLength > MAX_BACKLOG) return;
		this.#send(observer, {type: 'snapshot', snapshot: this.#source.snapshotFor(observer.window)});
	}

	#send(observer: Observer, message: ServerMessage): void {
		if (!observer.socket.destroyed) observer.socket.write(encode(message));
	}

	#hangUp(observer: Observer, reason: string): void {
		this.#options.log(`observer ${observer.id} refused: ${reason}`);
		this.#observers.delete(observer);
		observer.socket.end(encode({type: 'error', message: reason}));
		setTimeout(() => observer.socket.destroy(), 1000).unref();
	}
}
