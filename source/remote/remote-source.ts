import net, {type Socket} from 'node:net';
import type {Action} from '../controller.js';
import type {DashboardSource} from '../dashboard-source.js';
import type {Snapshot} from '../metrics/snapshot.js';
import type {ConnectionWindow} from '../metrics/store.js';
import {TOKEN_ENV} from '../reach-options.js';
import {describeTarget, type ControlTarget} from './endpoint.js';
import {
	encode,
	LineSplitter,
	MAX_SERVER_LINE,
	MAX_WINDOW,
	parseServerMessage,
	PROTOCOL,
	type ObserverMessage,
} from './wire.js';

/** Could not attach: nothing there, refused, or not a concurrency-top serve. One line for the user. */
export class AttachError extends Error {
	override readonly name = 'AttachError';
}

const CONNECT_TIMEOUT_MS = 5000;

/**
 * A `serve` running elsewhere, seen through its control socket: the same DashboardSource the
 * Controller is, so the same App draws it. Key presses go over as actions; quitting closes only
 * this connection.
 */
export class RemoteSource implements DashboardSource {
	readonly #socket: Socket;
	readonly #listeners = new Set<(snapshot: Snapshot) => void>();
	#snapshot: Snapshot;
	#window: ConnectionWindow = {offset: 0, limit: 20};
	#closedByUs = false;
	/** The server's version, from its hello. */
	readonly serverVersion: string;
	readonly serverPid: number;
	onClose: ((reason: string) => void) | undefined;

	private constructor(socket: Socket, first: Snapshot, version: string, pid: number) {
		this.#socket = socket;
		this.#snapshot = first;
		this.serverVersion = version;
		this.serverPid = pid;
	}

	/** Connects, says hello, and resolves once the first snapshot is in. */
	static async connect(
		target: ControlTarget,
		options: {readonly version: string; readonly token?: string | null},
	): Promise<RemoteSource> {
		const where = describeTarget(target);
		const socket =
			target.kind === 'socket'
				? net.connect({path: target.path})
				: net.connect({host: target.host, port: target.port});
		socket.setEncoding('utf8');
		const lines = new LineSplitter(MAX_SERVER_LINE);
		return new Promise<RemoteSource>((resolve, reject) => {
			let hello: {version: string; pid: number} | undefined;
			let source: RemoteSource | undefined;
			const timer = setTimeout(
				() => fail(`no answer from ${where} within ${CONNECT_TIMEOUT_MS / 1000}s`),
				CONNECT_TIMEOUT_MS,
			);
			const fail = (message: string) => {
				clearTimeout(timer);
				socket.destroy();
				reject(new AttachError(message));
			};
			socket.on('error', (error: NodeJS.ErrnoException) => {
				if (source) return;
				const reason =
					error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
						? `nothing is listening at ${where}: start "concurrency-top serve" there first`
						: `cannot reach ${where}: ${error.message}`;
				fail(reason);
			});
			socket.on('close', () => {
				if (source) source.#closed('the server closed the connection');
				else fail(`${where} closed the connection before sending a snapshot`);
			});
			socket.on('data', (chunk: string) => {
				const received = lines.push(chunk);
				if (received === 'overflow') {
					if (source) source.#closed('the server sent an oversized line');
					else fail(`${where} is not a concurrency-top control endpoint`);
					socket.destroy();
					return;
				}
				for (const line of received) {
					const message = parseServerMessage(line);
					if (message === null) {
						if (!hello) fail(`${where} is not a concurrency-top control endpoint`);
						continue;
					}
					switch (message.type) {
						case 'hello':
							if (message.protocol !== PROTOCOL) {
								fail(
									`${where} runs concurrency-top ${message.version}, which speaks protocol ${message.protocol}, not ${PROTOCOL}`,
								);
								return;
							}
							if (message.tokenRequired && !options.token) {
								fail(`${where} needs a token: give it with --control-token T or ${TOKEN_ENV}=T`);
								return;
							}
							if (hello) continue;
							hello = {version: message.version, pid: message.pid};
							// Only now, to a peer that greeted as a concurrency-top serve, and only if it asks.
							socket.write(
								encode({
									type: 'hello',
									protocol: PROTOCOL,
									version: options.version,
									...(message.tokenRequired && options.token ? {token: options.token} : {}),
								}),
							);
							break;
						case 'error':
							if (source) source.#closed(`the server says: ${message.message}`);
							else fail(`${where} refused: ${message.message}`);
							return;
						case 'snapshot':
							if (!hello) continue;
							if (source) {
								source.#receive(message.snapshot);
							} else {
								clearTimeout(timer);
								source = new RemoteSource(socket, message.snapshot, hello.version, hello.pid);
								resolve(source);
							}
							break;
					}
				}
			});
		});
	}

	get snapshot(): Snapshot {
		return this.#snapshot;
	}

	readonly subscribe = (listener: (snapshot: Snapshot) => void): (() => void) => {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	};

	/** Sent and forgotten: the result shows in the next snapshots, as it does locally. */
	dispatch(action: Action): Promise<void> {
		this.#send({type: 'action', action});
		return Promise.resolve();
	}

	setWindow(window: ConnectionWindow): void {
		const bounded = {offset: window.offset, limit: Math.min(window.limit, MAX_WINDOW)};
		if (bounded.offset === this.#window.offset && bounded.limit === this.#window.limit) return;
		this.#window = bounded;
		this.#send({type: 'window', window: bounded});
	}

	/** Detaches; the server goes on. */
	close(): void {
		this.#closedByUs = true;
		this.#socket.end();
		setTimeout(() => this.#socket.destroy(), 500).unref();
	}

	#send(message: ObserverMessage): void {
		if (!this.#socket.destroyed && this.#socket.writable) this.#socket.write(encode(message));
	}

	#receive(snapshot: Snapshot): void {
		this.#snapshot = snapshot;
		for (const listener of this.#listeners) listener(snapshot);
	}

	#closed(reason: string): void {
		if (this.#closedByUs) return;
		this.#closedByUs = true;
		this.onClose?.(reason);
	}
}
