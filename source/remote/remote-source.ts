import {Listeners} from '../shared/listeners.js';
import net, {type Socket} from 'node:net';
import {
	ALL_ACTIONS,
	refused,
	unavailable,
	type Action,
	type ActionResult,
	type ActionType,
	type ConnectionWindow,
	type DashboardSource,
	type SourceCapabilities,
} from '../metrics/source.js';
import type {Snapshot} from '../metrics/snapshot.js';
import {sameWindow} from '../metrics/connection-view.js';
import {TOKEN_ENV} from '../options/endpoints.js';
import {describeTarget, type ControlTarget} from './endpoint.js';
import {readTokenFile} from './private-folder.js';
import {newNonce, proofMatches, proofOf} from './proof.js';
import {peerUid} from './tcp-owner.js';
import {
	encode,
	LineSplitter,
	MAX_SERVER_LINE,
	MAX_WINDOW,
	parseServerMessage,
	PROTOCOL,
	type ObserverMessage,
	type ServerMessage,
} from './wire.js';

type Hello = {
	readonly version: string;
	readonly pid: number;
	readonly actions: ReadonlySet<ActionType>;
};

type ConnectOptions = {
	readonly version: string;
	readonly token?: string | null;
	/** Where `serve` leaves a token it made (the private folder); tests give their own. */
	readonly tokenDirectory?: string;
};

type ServerHello = Extract<ServerMessage, {type: 'hello'}>;

/** One attempt to attach, until its first snapshot makes it a RemoteSource. */
type Attempt = {
	readonly where: string;
	readonly socket: Socket;
	readonly options: ConnectOptions;
	/** The server's hello, once it came and passed. */
	hello: Hello | undefined;
	/** The proof the server must send back, when we proved we hold the token; then whether it did. */
	serverProof: string | undefined;
	proven: boolean;
	/** Set by `open`: from then on the lines go to it. */
	source: RemoteSource | undefined;
	/** Gives up before the first snapshot: the socket is closed and connect rejects with `message`. */
	readonly fail: (message: string) => void;
	/** The first snapshot came: connect resolves with the source it makes. */
	readonly open: (first: Snapshot, hello: Hello) => void;
};

/** Could not attach: nothing there, refused, or not a concurrency-top serve. One line for the user. */
export class AttachError extends Error {
	override readonly name = 'AttachError';
}

const CONNECT_TIMEOUT_MS = 5000;
/** Actions sent and not yet answered; past this the oldest is given up on. */
const MAX_PENDING_ACTIONS = 64;

/**
 * A `serve` running elsewhere, seen through its control socket: the same DashboardSource the
 * Controller is, so the same App draws it. Key presses go over as actions; quitting closes only
 * this connection.
 */
export class RemoteSource implements DashboardSource {
	readonly #socket: Socket;
	readonly #snapshots = new Listeners<Snapshot>();
	#snapshot: Snapshot;
	#window: ConnectionWindow = {offset: 0, limit: 20};
	#closedByUs = false;
	/** Actions sent, by id, until the server says what became of them. */
	readonly #pending = new Map<number, (result: ActionResult) => void>();
	#nextActionId = 1;
	/** The server's version, from its hello. */
	readonly serverVersion: string;
	readonly serverPid: number;
	readonly capabilities: SourceCapabilities;
	onClose: ((reason: string) => void) | undefined;

	private constructor(socket: Socket, first: Snapshot, hello: Hello) {
		this.#socket = socket;
		this.#snapshot = first;
		this.serverVersion = hello.version;
		this.serverPid = hello.pid;
		this.capabilities = {
			actions: hello.actions,
			otherwise: `the server (${hello.version}) does not carry out this action`,
			quit: 'detach',
		};
	}

	/** Connects, says hello, and resolves once the first snapshot is in. */
	static async connect(target: ControlTarget, options: ConnectOptions): Promise<RemoteSource> {
		const where = describeTarget(target);
		const socket =
			target.kind === 'socket'
				? net.connect({path: target.path})
				: net.connect({host: target.host, port: target.port});
		socket.setEncoding('utf8');
		return new Promise<RemoteSource>((resolve, reject) => {
			const timer = setTimeout(
				() => attempt.fail(`no answer from ${where} within ${CONNECT_TIMEOUT_MS / 1000}s`),
				CONNECT_TIMEOUT_MS,
			);
			const attempt: Attempt = {
				where,
				socket,
				options,
				hello: undefined,
				serverProof: undefined,
				proven: false,
				source: undefined,
				fail(message) {
					clearTimeout(timer);
					socket.destroy();
					reject(new AttachError(message));
				},
				open(first, hello) {
					clearTimeout(timer);
					attempt.source = new RemoteSource(socket, first, hello);
					resolve(attempt.source);
				},
			};
			RemoteSource.#follow(attempt);
		});
	}

	/** The socket's errors, its close and its lines, before and after the first snapshot. */
	static #follow(attempt: Attempt): void {
		const {socket, where} = attempt;
		const lines = new LineSplitter(MAX_SERVER_LINE);
		socket.on('error', (error: NodeJS.ErrnoException) => {
			if (attempt.source) return;
			const reason =
				error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
					? `nothing is listening at ${where}: start "concurrency-top serve" there first`
					: `cannot reach ${where}: ${error.message}`;
			attempt.fail(reason);
		});
		socket.on('close', () => {
			if (attempt.source) attempt.source.#closed('the server closed the connection');
			else attempt.fail(`${where} closed the connection before sending a snapshot`);
		});
		socket.on('data', (chunk: string) => {
			const received = lines.push(chunk);
			if (received === 'overflow') {
				if (attempt.source) attempt.source.#closed('the server sent an oversized line');
				else attempt.fail(`${where} is not a concurrency-top control endpoint`);
				socket.destroy();
				return;
			}
			for (const line of received) if (!RemoteSource.#read(attempt, line)) return;
		});
	}

	/** One line from the server; false when nothing more of what it sent may be read. */
	static #read(attempt: Attempt, line: string): boolean {
		const {source, where} = attempt;
		const message = parseServerMessage(line);
		if (message === null) {
			if (!attempt.hello) attempt.fail(`${where} is not a concurrency-top control endpoint`);
			return true;
		}
		switch (message.type) {
			case 'hello':
				return RemoteSource.#greet(attempt, message);
			case 'error':
				if (source) source.#closed(`the server says: ${message.message}`);
				else attempt.fail(`${where} refused: ${message.message}`);
				return false;
			case 'proof':
				if (attempt.serverProof === undefined || attempt.proven) return true;
				if (!proofMatches(attempt.serverProof, message.proof)) {
					attempt.fail(`${where} could not prove it holds the token: not attaching`);
					return false;
				}
				attempt.proven = true;
				return true;
			case 'result':
				if (source) source.#settle(message.id, message.result);
				return true;
			case 'snapshot':
				if (!attempt.hello) return true;
				// Nothing is shown of a server that was asked to prove it holds the token and did not.
				if (attempt.serverProof !== undefined && !attempt.proven) {
					attempt.fail(`${where} did not prove it holds the token: not attaching`);
					return false;
				}
				if (source) source.#receive(message.snapshot);
				else attempt.open(message.snapshot, attempt.hello);
				return true;
			default:
				return true;
		}
	}

	/**
	 * The server's hello: the protocol must match. The token never crosses the wire: asked for one,
	 * we send our proof (an HMAC over both nonces) and wait for the server's before showing anything.
	 * Not asked, over TCP the server's socket must be ours or root's (its owner in /proc/net/tcp).
	 */
	static #greet(attempt: Attempt, message: ServerHello): boolean {
		const {where, options, socket} = attempt;
		if (message.protocol !== PROTOCOL) {
			attempt.fail(
				`${where} runs concurrency-top ${message.version}, which speaks protocol ${message.protocol}, not ${PROTOCOL}`,
			);
			return false;
		}
		if (attempt.hello) return true;
		let proof: {nonce: string; proof: string} | undefined;
		// A challenge without tokenRequired: serve knows its own user and root by uid, at our hello,
		// and asks others for the proof. With a token we prove anyway, and so does the server.
		const token =
			message.tokenRequired || message.nonce !== undefined
				? options.token || readTokenFile(message.pid, options.tokenDirectory)
				: undefined;
		if (message.tokenRequired || (token && message.nonce !== undefined)) {
			if (!token) {
				attempt.fail(`${where} needs a token: give it with --control-token T or ${TOKEN_ENV}=T`);
				return false;
			}
			if (message.nonce === undefined) {
				attempt.fail(`${where} asks for a token but sent no challenge: not attaching`);
				return false;
			}
			const nonce = newNonce();
			attempt.serverProof = proofOf(token, 'server', message.nonce, nonce);
			proof = {nonce, proof: proofOf(token, 'observer', message.nonce, nonce)};
		} else {
			const uid = socket.remoteAddress === undefined ? undefined : peerUid(socket);
			const me = process.getuid?.();
			if (typeof uid === 'number' && uid !== me && uid !== 0) {
				attempt.fail(
					`${where} is held by uid ${uid}, not by you or root: not attaching (a serve with a token proves it is yours)`,
				);
				return false;
			}
		}
		attempt.hello = {
			version: message.version,
			pid: message.pid,
			actions: message.actions ? new Set(message.actions) : ALL_ACTIONS,
		};
		socket.write(
			encode({type: 'hello', protocol: PROTOCOL, version: options.version, ...(proof ?? {})}),
		);
		return true;
	}

	get snapshot(): Snapshot {
		return this.#snapshot;
	}

	readonly subscribe = this.#snapshots.add;

	/** Sent with a number; resolves when the server says what became of it. */
	dispatch(action: Action): Promise<ActionResult> {
		const why = unavailable(action, this.capabilities);
		if (why !== null) return Promise.resolve(refused(why));
		if (this.#closedByUs) return Promise.resolve(refused('detached from the server'));
		const id = this.#nextActionId++;
		if (this.#pending.size >= MAX_PENDING_ACTIONS) {
			const [oldest] = this.#pending.keys();
			this.#settle(oldest!, refused('no answer from the server'));
		}
		const result = new Promise<ActionResult>((resolve) => this.#pending.set(id, resolve));
		this.#send({type: 'action', id, action});
		return result;
	}

	setWindow(window: ConnectionWindow): void {
		const bounded: ConnectionWindow = {...window, limit: Math.min(window.limit, MAX_WINDOW)};
		if (sameWindow(bounded, this.#window)) return;
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

	#settle(id: number, result: ActionResult): void {
		const resolve = this.#pending.get(id);
		this.#pending.delete(id);
		resolve?.(result);
	}

	#receive(snapshot: Snapshot): void {
		this.#snapshot = snapshot;
		this.#snapshots.tell(snapshot);
	}

	#closed(reason: string): void {
		for (const id of [...this.#pending.keys()]) this.#settle(id, refused(reason));
		if (this.#closedByUs) return;
		this.#closedByUs = true;
		this.onClose?.(reason);
	}
}
