import {chmodSync, unlinkSync} from 'node:fs';
import net, {type Socket} from 'node:net';
import {refused, type Action, type ActionResult, type DashboardSource} from '../metrics/source.js';
import type {Snapshot} from '../metrics/snapshot.js';
import type {ConnectionWindow} from '../metrics/store.js';
import {inert} from '../shared/format.js';
import {listen} from '../server/listen.js';
import {describePeer} from './peer.js';
import {FailedProofs, newNonce, penaltyMs, proofMatches, proofOf} from './proof.js';
import {canTellOwners, peerEnds, peerUid, PROC_NET, tcpOwners} from './tcp-owner.js';
import {
	encode,
	LineSplitter,
	MAX_OBSERVER_LINE,
	parseObserverMessage,
	PROTOCOL,
	type ObserverMessage,
	type ServerMessage,
} from './wire.js';

/** What the control server needs from the Controller. */
export type ControlledSource = Pick<
	DashboardSource,
	'snapshot' | 'subscribe' | 'dispatch' | 'capabilities'
> & {
	readonly snapshotFor: (window: ConnectionWindow) => Snapshot;
};

export type ControlEndpoint =
	| {readonly kind: 'socket'; readonly path: string}
	| {readonly kind: 'tcp'; readonly host: string; readonly port: number};

export type ControlServerOptions = {
	readonly version: string;
	/**
	 * What an observer not known by its uid must prove it holds (HMAC over nonces, never sent); null:
	 * only the serving user and root may attach over TCP.
	 */
	readonly token: string | null;
	readonly log: (text: string) => void;
	readonly maxObservers?: number;
	/** Where /proc/net/tcp{,6} are: tests point it at a folder without them, as on a machine without /proc. */
	readonly procNet?: string;
};

/** A viewer that does not read: frames are skipped for it above this much unsent output. */
const MAX_BACKLOG = 1024 * 1024;
/** A connection that has not said hello (with its proof) by then is not an observer. */
const HELLO_TIMEOUT_MS = 3000;
/**
 * Connections waiting for their hello: past this, one of the biggest crowd is let go. Up to here a
 * silent crowd costs no walk of the socket table; past it the waiting are told apart by uid.
 */
const MAX_PENDING = 64;
const BAD_LINES_BEFORE_HANGUP = 20;
/**
 * A connection refused before it was an observer is held this long, unread, before it is closed:
 * a peer that reconnects at once then comes back every 2 s, not as fast as serve can accept.
 */
const REFUSED_HOLD_MS = 2000;
/** Refused connections held at once; beyond this they are closed at once. */
const MAX_HELD = 64;
/**
 * Time spent a second finding observers' uids: each lookup walks the kernel's whole socket table
 * (48 ms at 14,700 rows), so hellos past this wait for the next second instead of taking a core.
 */
const LOOKUP_MS_PER_SECOND = 100;
/** What one observer may send a second; past it its socket is not read until the second ends. */
const MAX_INPUT_PER_SECOND = 64 * 1024;
/** Actions an observer may send: a burst of this many, then this many a second. */
const ACTION_BURST = 20;
const ACTIONS_PER_SECOND = 10;
/** An observer's window changes are answered at most this often; the last one always. */
const MIN_PUSH_INTERVAL_MS = 50;

type Observer = {
	readonly id: number;
	readonly socket: Socket;
	readonly lines: LineSplitter;
	/** Who is at the other end, for every log line about this connection (its uid once known). */
	peer: Promise<string>;
	/** The serving user or root (known by the peer socket's uid), or the Unix socket's peer. */
	trusted: boolean;
	/**
	 * Whether its uid is still to be looked up: over TCP, only once it says hello, so that a silent
	 * connection never costs a walk of the socket table.
	 */
	uidUnknown: boolean;
	/** Whether its hello may go on: once its uid is known and its failed proofs' wait is over. */
	identified: boolean;
	/** Lines that came after its hello while that waited to be identified (the socket is paused). */
	deferred: string[];
	/** Whether it has said hello: a crowd lets go of those that have not first. */
	spoke: boolean;
	/** Its uid where known, else its address: whose crowd it is in, whose failed proofs count. */
	key: string;
	/** The challenge sent to it, when it must prove it holds the token. */
	nonce: string | undefined;
	ready: boolean;
	window: ConnectionWindow;
	badLines: number;
	/** The input budget's current second, and the bytes read in it. */
	inputSecond: number;
	inputBytes: number;
	actionTokens: number;
	actionsAt: number;
	actionsDropped: number;
	lastPushAt: number;
	pushTimer: NodeJS.Timeout | undefined;
};

/**
 * Runs lookups while less than `msPerSecond` of this second went to them; the rest wait, in order,
 * for the seconds after.
 */
class TimeBudget {
	readonly #msPerSecond: number;
	readonly #waiting: Array<() => void> = [];
	#second = 0;
	#spent = 0;
	#timer: NodeJS.Timeout | undefined;

	constructor(msPerSecond: number) {
		this.#msPerSecond = msPerSecond;
	}

	run(task: () => void): void {
		this.#waiting.push(task);
		this.#drain();
	}

	/** Runs `task` now if this second's budget has room and nothing waits; whether it ran. */
	tryNow(task: () => void): boolean {
		if (this.#waiting.length > 0) return false;
		let ran = false;
		this.run(() => {
			ran = true;
			task();
		});
		if (!ran) this.#waiting.pop();
		return ran;
	}

	#drain(): void {
		for (;;) {
			const now = Date.now();
			const second = Math.floor(now / 1000);
			if (second !== this.#second) {
				this.#second = second;
				this.#spent = 0;
			}
			if (this.#waiting.length === 0) return;
			if (this.#spent >= this.#msPerSecond) {
				if (this.#timer === undefined) {
					this.#timer = setTimeout(
						() => {
							this.#timer = undefined;
							this.#drain();
						},
						(second + 1) * 1000 - now,
					).unref();
				}
				return;
			}
			const started = performance.now();
			this.#waiting.shift()!();
			this.#spent += performance.now() - started;
		}
	}
}

/** A flood of connections must not become a flood of log lines. */
const REFUSALS_LOGGED_PER_SECOND = 5;

/** Up to `perSecond` lines a second; beyond that, one line a second saying how many were not. */
class LogBudget {
	readonly #perSecond: number;
	readonly #summary: (count: number) => void;
	#second = 0;
	#used = 0;
	#skipped = 0;

	constructor(perSecond: number, summary: (count: number) => void) {
		this.#perSecond = perSecond;
		this.#summary = summary;
	}

	/** Whether one more line may be written now. */
	take(): boolean {
		const second = Math.floor(Date.now() / 1000);
		if (second !== this.#second) {
			this.#second = second;
			this.#used = 0;
		}
		if (this.#used++ < this.#perSecond) return true;
		if (this.#skipped++ === 0) {
			setTimeout(() => {
				this.#summary(this.#skipped);
				this.#skipped = 0;
			}, 1000).unref();
		}
		return false;
	}
}

/**
 * Lets observers watch and drive a Controller: pushes each snapshot (cut to the observer's own
 * window), carries out the actions they send. Every observer is on its own: its bad input or its
 * disconnect ends only its own connection.
 */
export class ControlServer {
	readonly #source: ControlledSource;
	readonly #options: ControlServerOptions;
	readonly #server: net.Server;
	/** Observers whose hello (and token) was accepted: only they hold one of the slots. */
	readonly #observers = new Set<Observer>();
	/** Connections that have not yet said hello: a small budget of their own, a short deadline. */
	readonly #pending = new Set<Observer>();
	/** Refusals of connections that never said hello: logged up to a rate, then counted. */
	readonly #refusals: LogBudget;
	/** Refused connections waiting out their hold before they are closed. */
	readonly #held = new Set<Socket>();
	readonly #failedProofs = new FailedProofs();
	readonly #procNet: string;
	/** Whether /proc/net/tcp can be read at all: without it, every TCP observer must prove. */
	readonly #canTell: boolean;
	readonly #lookups = new TimeBudget(LOOKUP_MS_PER_SECOND);
	readonly #servingUid = process.getuid?.() ?? 0;
	#nextId = 1;
	#unsubscribe: (() => void) | undefined;
	#endpoint: ControlEndpoint | undefined;

	constructor(source: ControlledSource, options: ControlServerOptions) {
		this.#source = source;
		this.#options = options;
		this.#procNet = options.procNet ?? PROC_NET;
		this.#canTell = canTellOwners(this.#procNet);
		this.#refusals = new LogBudget(REFUSALS_LOGGED_PER_SECOND, (count) =>
			options.log(
				`control: ${count} more connections refused before they were observers (not logged one by one)`,
			),
		);
		this.#server = net.createServer((socket) => this.#accept(socket));
		this.#server.on('error', (error) => options.log(`control: ${error.message}`));
	}

	get endpoint(): ControlEndpoint | undefined {
		return this.#endpoint;
	}

	get observerCount(): number {
		return this.#observers.size;
	}

	/** Connections waiting to say hello (those refused and held until they are closed are not). */
	get waitingCount(): number {
		return this.#pending.size;
	}

	/** Who may attach over TCP, for serve's start line. */
	whoMayAttach(): string {
		if (!this.#canTell) {
			return `${this.#procNet}/tcp cannot be read here, so no observer can be known by its uid: every observer must prove it holds the token`;
		}
		const users = this.#servingUid === 0 ? 'root (uid 0)' : `uid ${this.#servingUid} and root`;
		return this.#options.token === null
			? `only ${users} may attach (known by the peer socket's uid); nobody else (no token given)`
			: `${users} may attach (known by the peer socket's uid); others must prove they hold the token`;
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
		for (const observer of [...this.#pending, ...this.#observers]) observer.socket.destroy();
		for (const socket of this.#held) socket.destroy();
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
		const now = Date.now();
		// Over TCP the peer is known by its socket's owner in /proc/net/tcp, looked up at its hello;
		// the Unix socket is 0600.
		const tcp = socket.remoteAddress !== undefined;
		const trusted = !tcp;
		const observer: Observer = {
			id: this.#nextId++,
			socket,
			lines: new LineSplitter(MAX_OBSERVER_LINE),
			peer: describePeer(socket, undefined),
			trusted,
			uidUnknown: tcp && this.#canTell,
			identified: !(tcp && this.#canTell),
			deferred: [],
			spoke: false,
			key: socket.remoteAddress ?? 'unix',
			nonce: undefined,
			ready: false,
			window: {offset: 0, limit: 20},
			badLines: 0,
			inputSecond: Math.floor(now / 1000),
			inputBytes: 0,
			actionTokens: ACTION_BURST,
			actionsAt: now,
			actionsDropped: 0,
			lastPushAt: 0,
			pushTimer: undefined,
		};
		socket.on('error', () => {});
		if (!trusted && !observer.uidUnknown && this.#options.token === null) {
			this.#refuseStranger(observer, 'a peer whose uid cannot be told');
			return;
		}
		// A crowd that never speaks makes room from its own ranks: it cannot keep anyone out.
		if (this.#pending.size >= MAX_PENDING) {
			this.#hangUp(this.#crowded(), `no hello while ${MAX_PENDING} others waited to say theirs`);
		}
		this.#pending.add(observer);
		socket.setEncoding('utf8');
		socket.setNoDelay(true);
		let helloTimer: NodeJS.Timeout | undefined;
		socket.on('data', (chunk: string) => this.#receive(observer, chunk));
		socket.on('close', () => {
			clearTimeout(helloTimer);
			clearTimeout(observer.pushTimer);
			this.#pending.delete(observer);
			if (this.#observers.delete(observer))
				this.#log(observer, `left (${this.#observers.size} watching)`);
		});
		// After failed proofs, a peer waits longer for each challenge: guessing is slow. Where the uid
		// is looked up at the hello, the wait comes there, once the peer is known.
		const wait =
			trusted || observer.uidUnknown ? 0 : penaltyMs(this.#failedProofs.count(observer.key));
		const greet = () => {
			if (!this.#isOpen(observer)) return;
			helloTimer = setTimeout(() => {
				if (!observer.spoke) this.#hangUp(observer, `no hello within ${HELLO_TIMEOUT_MS / 1000}s`);
			}, HELLO_TIMEOUT_MS);
			// A challenge for every peer that may have to prove: those still to be known by uid are
			// challenged too, and need answer it only if they turn out not to be the serving user or root.
			const mayProve = !trusted && this.#options.token !== null;
			observer.nonce = mayProve ? newNonce() : undefined;
			this.#send(observer, {
				type: 'hello',
				protocol: PROTOCOL,
				version: this.#options.version,
				pid: process.pid,
				tokenRequired: !trusted && !observer.uidUnknown,
				...(observer.nonce === undefined ? {} : {nonce: observer.nonce}),
				actions: [...this.#source.capabilities.actions],
			});
		};
		if (wait === 0) greet();
		else setTimeout(greet, wait).unref();
	}

	#refuseStranger(observer: Observer, who: string, holdMs?: number): void {
		this.#hangUp(
			observer,
			`${who} may not attach: only uid ${this.#servingUid} and root, or an observer with the token when serve has one`,
			holdMs,
		);
	}

	#learnUid(observer: Observer, uid: number | undefined | null): void {
		observer.uidUnknown = false;
		if (typeof uid === 'number') {
			observer.key = `uid ${uid}`;
			observer.trusted = uid === this.#servingUid || uid === 0;
		}
		observer.peer = describePeer(observer.socket, uid);
	}

	/**
	 * The uid of a TCP peer that said hello, within the lookup budget: one walk of the table for
	 * this one connection. Then the hello goes on, after the wait its failed proofs earned.
	 */
	#identify(observer: Observer, then: () => void): void {
		const known = () => {
			if (!this.#isOpen(observer)) return;
			if (observer.uidUnknown) this.#learnUid(observer, peerUid(observer.socket, this.#procNet));
			const wait = observer.trusted ? 0 : penaltyMs(this.#failedProofs.count(observer.key));
			setTimeout(() => {
				observer.identified = true;
				if (!this.#isOpen(observer)) return;
				then();
				const deferred = observer.deferred;
				observer.deferred = [];
				observer.socket.resume();
				this.#lines(observer, deferred);
			}, wait).unref();
		};
		observer.socket.pause();
		// Its uid may be known already: the crowd told the waiting apart when it was full.
		if (observer.uidUnknown) this.#lookups.run(known);
		else known();
	}

	/**
	 * The waiting connection to let go: the oldest of the user (or, where the uid cannot be told, the
	 * address) with the most waiting, so that a crowd makes room from its own ranks, never from the
	 * serving user, who is known by uid: everyone on this machine is 127.0.0.1.
	 */
	#crowded(): Observer {
		// Everyone on this machine is 127.0.0.1: the waiting are told apart by uid (one walk of the
		// table for all of them), as the budget allows; past it, by address.
		const unknown = [...this.#pending].filter((waiting) => waiting.uidUnknown);
		if (unknown.length > 0) {
			this.#lookups.tryNow(() => {
				const ends = unknown.map((waiting) => peerEnds(waiting.socket));
				const known = ends.flatMap((end) => (end === undefined ? [] : [end]));
				const uids = tcpOwners(known, this.#procNet);
				let at = 0;
				unknown.forEach((waiting, index) => {
					if (ends[index] !== undefined) this.#learnUid(waiting, uids[at++]);
				});
			});
		}
		const byKey = new Map<string, Observer[]>();
		const silent = [...this.#pending].filter((waiting) => !waiting.spoke);
		for (const waiting of silent.length > 0 ? silent : this.#pending) {
			byKey.set(waiting.key, [...(byKey.get(waiting.key) ?? []), waiting]);
		}
		const largest = [...byKey.values()].reduce((a, b) => (b.length > a.length ? b : a));
		return largest[0]!;
	}

	/** One log line about a connection, with its peer: whatever it sent is shown inert. */
	#log(observer: Observer, text: string): void {
		void observer.peer.then((peer) =>
			this.#options.log(`observer ${observer.id} (${peer}) ${inert(text)}`),
		);
	}

	#isOpen(observer: Observer): boolean {
		return this.#observers.has(observer) || this.#pending.has(observer);
	}

	#receive(observer: Observer, chunk: string): void {
		if (!this.#isOpen(observer)) return;
		this.#budgetInput(observer, chunk.length);
		const lines = observer.lines.push(chunk);
		if (lines === 'overflow') {
			this.#hangUp(observer, `a line longer than ${MAX_OBSERVER_LINE} bytes`);
			return;
		}
		this.#lines(observer, lines);
	}

	#lines(observer: Observer, lines: readonly string[]): void {
		for (const [at, line] of lines.entries()) {
			if (!this.#isOpen(observer)) return;
			if (observer.spoke && !observer.identified) {
				// What follows a hello waits for it, as it would have waited for the hello itself.
				observer.deferred.push(...lines.slice(at));
				return;
			}
			const message = parseObserverMessage(line);
			if (message === null) {
				// Unknown or malformed: dropped. A peer that sends nothing else is not an observer.
				if (++observer.badLines >= BAD_LINES_BEFORE_HANGUP)
					this.#hangUp(observer, 'too many malformed messages');
				continue;
			}
			if (message.type === 'hello') {
				this.#hello(observer, message);
			} else if (!observer.ready) {
				this.#hangUp(observer, 'hello first');
			} else if (message.type === 'window') {
				observer.window = message.window;
				this.#pushSoon(observer);
			} else if (message.type === 'bad-action') {
				// Answered, not counted as malformed: a key this server cannot take never costs the observer its connection.
				this.#act(observer, message.why, message.id);
			} else {
				this.#act(observer, message.action, message.id);
			}
		}
	}

	/**
	 * Past its budget of bytes this second, an observer's socket is not read until the next one:
	 * the kernel buffers fill and the sender waits, instead of serve's CPU going to its flood.
	 */
	#budgetInput(observer: Observer, bytes: number): void {
		const now = Date.now();
		const second = Math.floor(now / 1000);
		if (second !== observer.inputSecond) {
			observer.inputSecond = second;
			observer.inputBytes = 0;
		}
		observer.inputBytes += bytes;
		if (observer.inputBytes <= MAX_INPUT_PER_SECOND) return;
		observer.socket.pause();
		setTimeout(() => observer.socket.resume(), (second + 1) * 1000 - now).unref();
	}

	#hello(observer: Observer, message: Extract<ObserverMessage, {type: 'hello'}>): void {
		if (message.protocol !== PROTOCOL) {
			this.#hangUp(
				observer,
				`protocol ${message.protocol} is not ${PROTOCOL} (server version ${this.#options.version})`,
			);
			return;
		}
		if (!observer.ready && !observer.identified) {
			observer.spoke = true;
			this.#identify(observer, () => this.#hello(observer, message));
			return;
		}
		observer.spoke = true;
		if (!observer.ready) {
			if (!this.#proven(observer, message)) return;
			// The last slot is the serving user's: others (with the token) take at most the rest.
			const max = this.#options.maxObservers ?? 32;
			if (this.#observers.size >= (observer.trusted ? max : max - 1)) {
				this.#hangUp(observer, `too many observers (at most ${max})`);
				return;
			}
			this.#pending.delete(observer);
			this.#observers.add(observer);
			observer.ready = true;
			this.#log(
				observer,
				`attached, version ${message.version} (${this.#observers.size} watching)`,
			);
		}
		this.#pushSoon(observer);
	}

	/**
	 * An action (or why it cannot be one), within the observer's own rate; what became of it goes
	 * back to the observer.
	 */
	#act(observer: Observer, action: Action | string, id: number | undefined): void {
		if (!this.#withinRate(observer)) {
			this.#answer(
				observer,
				id,
				refused(`more than ${ACTIONS_PER_SECOND} actions a second: dropped`),
			);
			return;
		}
		if (typeof action === 'string') {
			this.#answer(observer, id, refused(action));
			return;
		}
		this.#log(observer, JSON.stringify(action));
		void this.#source.dispatch(action).then((result) => this.#answer(observer, id, result));
	}

	/** The result of action `id`, for observers that numbered it (older ones did not). */
	#answer(observer: Observer, id: number | undefined, result: ActionResult): void {
		if (id === undefined || !this.#observers.has(observer)) return;
		if (observer.socket.writableLength > MAX_BACKLOG) return;
		this.#send(observer, {type: 'result', id, result});
	}

	/** Takes one action from the observer's budget; a flood is dropped (and logged once a second). */
	#withinRate(observer: Observer): boolean {
		const now = Date.now();
		observer.actionTokens = Math.min(
			ACTION_BURST,
			observer.actionTokens + ((now - observer.actionsAt) / 1000) * ACTIONS_PER_SECOND,
		);
		observer.actionsAt = now;
		if (observer.actionTokens < 1) {
			if (observer.actionsDropped++ === 0) {
				setTimeout(() => {
					this.#log(
						observer,
						`sent more than ${ACTIONS_PER_SECOND} actions a second: ${observer.actionsDropped} dropped`,
					);
					observer.actionsDropped = 0;
				}, 1000).unref();
			}
			return false;
		}
		observer.actionTokens -= 1;
		return true;
	}

	/**
	 * An observer not known by its uid proves it holds the token (its HMAC over both nonces), and the
	 * server answers with its own proof. A failed proof costs the peer a wait before its next try.
	 */
	#proven(observer: Observer, message: Extract<ObserverMessage, {type: 'hello'}>): boolean {
		const token = this.#options.token;
		// The serving user and root need no proof; one they send anyway is checked, and answered.
		if (observer.trusted && message.proof === undefined) return true;
		if (observer.nonce === undefined || token === null) {
			const who = observer.key.startsWith('uid ')
				? observer.key
				: 'a peer whose uid cannot be told';
			if (!observer.trusted) this.#refuseStranger(observer, who);
			return observer.trusted;
		}
		const expected =
			message.nonce === undefined
				? undefined
				: proofOf(token, 'observer', observer.nonce, message.nonce);
		if (expected === undefined || !proofMatches(expected, message.proof)) {
			const failures = this.#failedProofs.failed(observer.key);
			this.#hangUp(
				observer,
				'wrong or missing token',
				Math.max(REFUSED_HOLD_MS, penaltyMs(failures)),
			);
			return false;
		}
		this.#failedProofs.succeeded(observer.key);
		this.#send(observer, {
			type: 'proof',
			proof: proofOf(token, 'server', observer.nonce, message.nonce!),
		});
		return true;
	}

	#push(observer: Observer): void {
		if (!observer.ready || observer.socket.destroyed) return;
		// A viewer that does not keep up misses frames; it never makes the server buffer without end.
		if (observer.socket.writableLength > MAX_BACKLOG) return;
		clearTimeout(observer.pushTimer);
		observer.pushTimer = undefined;
		observer.lastPushAt = Date.now();
		this.#send(observer, {type: 'snapshot', snapshot: this.#source.snapshotFor(observer.window)});
	}

	/** A push now, or, if one went out less than MIN_PUSH_INTERVAL_MS ago, one when that is over. */
	#pushSoon(observer: Observer): void {
		const wait = observer.lastPushAt + MIN_PUSH_INTERVAL_MS - Date.now();
		if (wait <= 0) this.#push(observer);
		else observer.pushTimer ??= setTimeout(() => this.#push(observer), wait);
	}

	#send(observer: Observer, message: ServerMessage): void {
		if (!observer.socket.destroyed) observer.socket.write(encode(message));
	}

	#hangUp(observer: Observer, reason: string, holdMs = REFUSED_HOLD_MS): void {
		const {socket, ready} = observer;
		if (ready || this.#refusals.take()) this.#log(observer, `refused: ${reason}`);
		this.#observers.delete(observer);
		this.#pending.delete(observer);
		clearTimeout(observer.pushTimer);
		const close = () => {
			this.#held.delete(socket);
			socket.end(encode({type: 'error', message: reason}));
			// Time for the reason to be read; less for one that never was an observer.
			setTimeout(() => socket.destroy(), ready ? 1000 : 200).unref();
		};
		// One that never was an observer hears why only after a while, unread meanwhile: a flood
		// that reconnects as soon as it is let go cannot make serve accept as fast as it can.
		if (ready || socket.destroyed || this.#held.size >= MAX_HELD) {
			close();
			return;
		}
		socket.pause();
		this.#held.add(socket);
		setTimeout(close, holdMs).unref();
	}
}
