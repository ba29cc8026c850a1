import {formatDuration} from '../shared/format.js';
import {Listeners} from '../shared/listeners.js';
import {RoundTrips} from './latency.js';
import {ConnectionView, type ConnectionWindow} from './connection-view.js';
import type {
	ClientReport,
	ClientStatus,
	ConnectionState,
	HandledBy,
	ServerEvent,
	ServerSettings,
	WaitPlace,
	WorkerRef,
} from '../server/protocol.js';
import {DEFAULT_SETTINGS} from '../server/settings.js';
import type {
	ConnectionRow,
	EventLine,
	HostFigures,
	KernelWaits,
	OsFigures,
	OutputQueueFigures,
	PendingRow,
	Placement,
	Snapshot,
	WorkerRow,
} from './snapshot.js';
import {
	derivedSynRetries,
	type KernelWaitsReading,
	type ListenCounters,
} from '../collectors/waits.js';

/** Test clients not accepted that a snapshot lists, oldest first. */
export const PENDING_ROWS = 20;

export const HISTORY_SECONDS = 60;
const EVENT_LINES = 100;
export const WORKER_ROWS = 32;
const NO_OUTPUT: OutputQueueFigures = {sockets: 0, bytes: 0, messages: 0, top: []};

type Worker = {
	readonly worker: WorkerRef;
	readonly mode: string;
	/** The connection it last said it serves (threads and per-client processes); null: none named. */
	connection: number | null;
	/** Open connections handled by it, counted from the connection events: a cluster child serves many. */
	connections: number;
	readonly startedAt: number;
	startupMs: number | null;
};

function workerKey(worker: WorkerRef): string {
	return worker.kind === 'thread' ? `t${worker.id}` : `p${worker.pid}`;
}

export function describeWorker(worker: WorkerRef): string {
	return worker.kind === 'thread' ? `thread #${worker.id}` : `pid ${worker.pid}`;
}

type Connection = {
	readonly id: number;
	readonly peer: string;
	state: ConnectionState;
	by: HandledBy;
	waitIn: WaitPlace | null;
	readonly openedAt: number;
	servedAt: number | null;
	bytesIn: number;
	bytesOut: number;
	messagesIn: number;
	messagesOut: number;
};

type Totals = {
	bytesIn: number;
	bytesOut: number;
	messagesIn: number;
	messagesOut: number;
	reads: number;
};

export type ServerIdentity = {host: string; port: number; handler: string};

export type {ConnectionWindow} from './connection-view.js';

const WAIT_PLACES: Readonly<Record<WaitPlace, string>> = {
	line: 'queued in the wait line',
	pool: 'queued in the pool queue',
	accept: 'waiting in the kernel accept queue',
	unread: 'waiting: its bytes unread by the server',
};

/** How long after the last refusal the Queue panel still says why clients are refused. */
const REFUSING_SHOWN_MS = 3000;

/**
 * Folds server events and client reports into counts, rates and percentiles, and hands out
 * immutable snapshots. Work per event is O(1); work per snapshot is bounded by the rows asked for.
 */
export class MetricsStore {
	readonly #connections = new Map<number, Connection>();
	/** Queued connections in arrival order; the first is the one that has waited longest. */
	readonly #queued = new Map<number, Connection>();
	readonly #totals: Totals = {bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0, reads: 0};
	#acceptedTotal = 0;
	#longestWaitMs = 0;
	#server: ServerIdentity;
	#mode: string | null = null;
	#placement: Placement = 'in-process';
	#pid: number | null = process.pid;
	#notRespondingMs: number | null = null;
	/** The running model's worker budget, as its 'listening' said. */
	#budget: string | null = null;
	/** Cluster: how its children get their connections, as its 'listening' said; null for other models. */
	#accept: string | null = null;
	#settings: ServerSettings = DEFAULT_SETTINGS;
	readonly #waiting: Record<WaitPlace, number> = {line: 0, pool: 0, accept: 0, unread: 0};
	/** Live workers in start order; counts kept as events arrive, so a snapshot never walks them all. */
	readonly #workers = new Map<string, Worker>();
	#threads = 0;
	#processes = 0;
	#busy = 0;
	#output: OutputQueueFigures = NO_OUTPUT;
	#refusedTotal = 0;
	#refusedLogged = 0;
	#refusedSinceLog = 0;
	/** The reason of the last refusal and when, so the screen can say why clients are refused. */
	#lastRefusal: {readonly why: string; readonly at: number} | null = null;
	/** Connections whose client does not read: the server stopped reading from them. */
	readonly #stalled = new Set<number>();

	#windowStart: number;
	#windowTotals: Totals = {...this.#totals};
	#rates = {
		messagesInPerSec: 0,
		messagesOutPerSec: 0,
		bytesInPerSec: 0,
		bytesOutPerSec: 0,
		readsPerSec: 0,
	};
	readonly #history: number[] = [];

	readonly #rtt = new RoundTrips();
	#latency: Snapshot['latency'] = {p50Ms: null, p99Ms: null, maxMs: null, samples: 0};

	#clients: readonly ClientStatus[] = [];
	#wrongReplies: number | undefined;
	#replyHint: string | undefined;
	#clientsByLocal = new Map<string, ClientStatus>();
	#os: OsFigures | null = null;
	#kernel: KernelWaitsReading | null = null;
	/** The machine's listen counters at the first reading: the snapshot shows what came since. */
	#countersAtStart: ListenCounters | null = null;
	#host: HostFigures | null = null;
	readonly #events: EventLine[] = [];
	readonly #view = new ConnectionView<Connection>();
	readonly #logLines = new Listeners<EventLine>();

	constructor(server: ServerIdentity, now = Date.now()) {
		this.#server = server;
		this.#windowStart = now;
	}

	/** Folds one server event into the figures: a method per kind of event. */
	apply(event: ServerEvent): void {
		switch (event.type) {
			case 'listening': {
				this.#listening(event);
				break;
			}
			case 'conn-open': {
				this.#opened(event);
				break;
			}
			case 'conn-serve': {
				this.#served(event);
				break;
			}
			case 'conn-close': {
				this.#closed(event);
				break;
			}
			case 'traffic': {
				this.#counted(event);
				break;
			}
			case 'worker-up': {
				this.#workerUp(event);
				break;
			}
			case 'worker-busy': {
				this.#workerBusy(event);
				break;
			}
			case 'worker-down': {
				this.#workerDown(event);
				break;
			}
			case 'output-queues': {
				this.#outputQueues(event);
				break;
			}
			case 'stall': {
				this.#stall(event);
				break;
			}
			case 'refused': {
				this.#refused(event);
				break;
			}
			case 'settings': {
				this.#settings = event.settings;
				break;
			}
			case 'log': {
				this.log(event.at, event.level, event.text);
				break;
			}
		}
	}

	#listening(event: Extract<ServerEvent, {type: 'listening'}>): void {
		this.#mode = event.mode;
		this.#budget = event.budget ? `${event.budget.limit} ${event.budget.what}` : null;
		this.#accept = event.accept ?? null;
		// Figures of one model's queue belong to it: a switch starts them afresh (the log keeps the history).
		this.#longestWaitMs = 0;
		this.#server = {...this.#server, host: event.host, port: event.port};
		this.log(event.at, 'info', `${event.mode} server listening on ${event.host}:${event.port}`);
	}

	#opened(event: Extract<ServerEvent, {type: 'conn-open'}>): void {
		const connection: Connection = {
			id: event.id,
			peer: event.peer,
			state: event.state,
			by: event.by,
			waitIn: event.state === 'queued' ? (event.waitIn ?? 'line') : null,
			openedAt: event.at,
			servedAt: event.state === 'active' ? event.at : null,
			bytesIn: 0,
			bytesOut: 0,
			messagesIn: 0,
			messagesOut: 0,
		};
		this.#connections.set(event.id, connection);
		this.#acceptedTotal++;
		this.#count(event.by, 1, event.at);
		if (event.state === 'queued') {
			this.#queued.set(event.id, connection);
			this.#waiting[connection.waitIn!]++;
			this.log(
				event.at,
				'info',
				`#${event.id} ${event.peer} connected, ${WAIT_PLACES[connection.waitIn!]}`,
			);
		} else {
			this.log(event.at, 'info', `#${event.id} ${event.peer} connected, ${handledBy(event.by)}`);
		}
	}

	#served(event: Extract<ServerEvent, {type: 'conn-serve'}>): void {
		const connection = this.#connections.get(event.id);
		if (!connection) return;
		connection.state = 'active';
		this.#count(connection.by, -1, event.at);
		connection.by = event.by;
		this.#count(event.by, 1, event.at);
		connection.servedAt = event.at;
		this.#unqueue(connection);
		const waited = event.at - connection.openedAt;
		this.#longestWaitMs = Math.max(this.#longestWaitMs, waited);
		this.log(
			event.at,
			'info',
			`#${event.id} served by ${handledBy(event.by)} after waiting ${formatDuration(waited)}`,
		);
	}

	#closed(event: Extract<ServerEvent, {type: 'conn-close'}>): void {
		const connection = this.#connections.get(event.id);
		if (!connection) return;
		this.#connections.delete(event.id);
		this.#stalled.delete(event.id);
		this.#count(connection.by, -1, event.at);
		const waited = event.at - connection.openedAt;
		if (this.#unqueue(connection)) {
			this.#longestWaitMs = Math.max(this.#longestWaitMs, waited);
			this.log(
				event.at,
				'info',
				`#${event.id} ${connection.peer} left while waiting (${formatDuration(waited)})`,
			);
			return;
		}
		this.log(event.at, 'info', `#${event.id} ${connection.peer} closed`);
	}

	#counted(event: Extract<ServerEvent, {type: 'traffic'}>): void {
		for (const [id, bytesIn, bytesOut, messagesIn, messagesOut, reads] of event.deltas) {
			this.#totals.reads += reads;
			this.#totals.bytesIn += bytesIn;
			this.#totals.bytesOut += bytesOut;
			this.#totals.messagesIn += messagesIn;
			this.#totals.messagesOut += messagesOut;
			const connection = this.#connections.get(id);
			if (!connection) continue;
			connection.bytesIn += bytesIn;
			connection.bytesOut += bytesOut;
			connection.messagesIn += messagesIn;
			connection.messagesOut += messagesOut;
		}
	}

	#workerUp(event: Extract<ServerEvent, {type: 'worker-up'}>): void {
		const worker = this.#worker(event.worker, event.mode, event.at);
		worker.startupMs = event.startupMs;
		if (event.connection !== null) worker.connection = event.connection;
		const startup = event.startupMs === null ? '' : ` in ${formatDuration(event.startupMs)}`;
		this.log(event.at, 'info', `${describeWorker(event.worker)} started${startup} (${event.mode})`);
	}

	#workerBusy(event: Extract<ServerEvent, {type: 'worker-busy'}>): void {
		// A pool may hand a connection to a thread before the thread reports itself up.
		this.#worker(event.worker, this.#mode ?? '', event.at).connection = event.connection;
	}

	#workerDown(event: Extract<ServerEvent, {type: 'worker-down'}>): void {
		this.#dropWorker(workerKey(event.worker));
		this.log(
			event.at,
			event.expected ? 'info' : 'warn',
			`${describeWorker(event.worker)} ${event.expected ? 'ended' : 'died'} (${event.reason})`,
		);
	}

	#outputQueues(event: Extract<ServerEvent, {type: 'output-queues'}>): void {
		this.#output = {
			sockets: event.sockets,
			bytes: event.bytes,
			messages: event.messages,
			top: event.top.map(([id, bytes, messages]) => ({id, bytes, messages})),
		};
	}

	#stall(event: Extract<ServerEvent, {type: 'stall'}>): void {
		if (!event.stalled) {
			this.#stalled.delete(event.id);
			return;
		}
		if (!this.#connections.has(event.id) || this.#stalled.has(event.id)) return;
		this.#stalled.add(event.id);
		this.log(event.at, 'warn', `#${event.id} does not read its replies: server stopped reading it`);
	}

	#refused(event: Extract<ServerEvent, {type: 'refused'}>): void {
		this.#refusedTotal++;
		this.#lastRefusal = {why: event.why, at: event.at};
		this.#refusedSinceLog++;
		// One line a second at most: a flood of refusals must not flood the log.
		if (event.at - this.#refusedLogged >= 1000) {
			const count = this.#refusedSinceLog;
			this.log(
				event.at,
				'warn',
				count === 1
					? `${event.peer} refused: at ${event.why}`
					: `${count} connections refused: at ${event.why}`,
			);
			this.#refusedLogged = event.at;
			this.#refusedSinceLog = 0;
		}
	}

	/** Where the server now runs; `pid` null while the server process is down. */
	setPlacement(placement: Placement, pid: number | null): void {
		this.#placement = placement;
		this.#pid = pid;
		this.#notRespondingMs = null;
	}

	/** The server process has said nothing for this long (null: it answers). */
	setNotResponding(ms: number | null): void {
		this.#notRespondingMs = ms;
	}

	#unqueue(connection: Connection): boolean {
		if (!this.#queued.delete(connection.id)) return false;
		if (connection.waitIn) this.#waiting[connection.waitIn]--;
		connection.waitIn = null;
		return true;
	}

	/** The worker's row, made on first sight whichever event comes first. */
	#worker(ref: WorkerRef, mode: string, at: number): Worker {
		const key = workerKey(ref);
		let worker = this.#workers.get(key);
		if (!worker) {
			worker = {
				worker: ref,
				mode,
				connection: null,
				connections: 0,
				startedAt: at,
				startupMs: null,
			};
			this.#workers.set(key, worker);
			if (ref.kind === 'thread') this.#threads++;
			else this.#processes++;
		}
		return worker;
	}

	/**
	 * Moves the count of open connections of the worker `by` names: busy means serving at least one,
	 * by the server's own accounting of who holds each connection.
	 */
	#count(by: HandledBy, step: 1 | -1, at: number): void {
		if (by.kind === 'main') return;
		// A connection may name its thread or child before that reports itself up; never after it is gone.
		const worker =
			step === 1 ? this.#worker(by, this.#mode ?? '', at) : this.#workers.get(workerKey(by));
		if (!worker) return;
		if (step === 1 && worker.connections === 0) this.#busy++;
		if (step === -1 && worker.connections === 1) this.#busy--;
		worker.connections = Math.max(0, worker.connections + step);
	}

	#dropWorker(key: string): void {
		const worker = this.#workers.get(key);
		if (!worker) return;
		this.#workers.delete(key);
		if (worker.worker.kind === 'thread') this.#threads--;
		else this.#processes--;
		if (worker.connections > 0) this.#busy--;
	}

	/** The server is gone (stopped or switched): its connections went with it. */
	clearConnections(): void {
		this.#connections.clear();
		this.#stalled.clear();
		this.#queued.clear();
		for (const place of Object.keys(this.#waiting) as WaitPlace[]) this.#waiting[place] = 0;
		this.#workers.clear();
		this.#threads = 0;
		this.#processes = 0;
		this.#busy = 0;
		this.#output = NO_OUTPUT;
	}

	applyClients(report: ClientReport): void {
		this.#clients = report.clients;
		this.#wrongReplies = report.wrongReplies;
		if (report.replyHint !== undefined && report.replyHint !== this.#replyHint) {
			this.#replyHint = report.replyHint;
			this.log(Date.now(), 'warn', `wrong replies: ${report.replyHint}`);
		}
		this.#clientsByLocal = new Map();
		for (const client of report.clients) {
			if (client.local !== null) this.#clientsByLocal.set(client.local, client);
		}
		for (const micros of report.rttMicros) this.#rtt.record(micros);
	}

	setOs(figures: OsFigures | null): void {
		this.#os = figures;
	}

	/** The kernel's waits, read with the accept queue: the backlog, SYN-SENT sockets, listen counters. */
	setKernelWaits(reading: KernelWaitsReading): void {
		this.#kernel = reading;
		this.#countersAtStart ??= reading.counters;
	}

	setHost(figures: HostFigures | null): void {
		this.#host = figures;
	}

	log(at: number, level: EventLine['level'], text: string): void {
		const line = {at, level, text};
		this.#events.push(line);
		if (this.#events.length > EVENT_LINES) this.#events.shift();
		this.#logLines.tell(line);
	}

	/** Calls `listener` with every event line as it is logged; returns the unsubscribe function. */
	onLog(listener: (line: EventLine) => void): () => void {
		return this.#logLines.add(listener);
	}

	/** Closes a rate period: rates, the history and the percentiles cover the time since the last call. */
	roll(now = Date.now()): void {
		const seconds = (now - this.#windowStart) / 1000;
		if (seconds <= 0) return;
		const before = this.#windowTotals;
		this.#rates = {
			messagesInPerSec: (this.#totals.messagesIn - before.messagesIn) / seconds,
			messagesOutPerSec: (this.#totals.messagesOut - before.messagesOut) / seconds,
			bytesInPerSec: (this.#totals.bytesIn - before.bytesIn) / seconds,
			bytesOutPerSec: (this.#totals.bytesOut - before.bytesOut) / seconds,
			readsPerSec: (this.#totals.reads - before.reads) / seconds,
		};
		this.#windowTotals = {...this.#totals};
		this.#windowStart = now;
		this.#history.push(this.#rates.messagesInPerSec);
		if (this.#history.length > HISTORY_SECONDS) this.#history.shift();

		this.#latency = this.#rtt.roll();
	}

	snapshot(window: ConnectionWindow, now = Date.now()): Snapshot {
		const pending = this.#pending(now);
		return {
			at: now,
			server: this.#serverPart(),
			workers: this.#workersPart(now),
			connections: {...this.#connectionsPart(window, now), pending: pending.rows},
			queue: this.#queuePart(now),
			traffic: this.#trafficPart(),
			latency: this.#latency,
			clients: {
				...this.#clientsPart(),
				connecting: pending.connecting,
				unaccepted: pending.unaccepted,
			},
			os: this.#os,
			host: this.#host,
			// All of them: the events view (`e`) scrolls back through the log.
			events: [...this.#events],
		};
	}

	#serverPart(): Snapshot['server'] {
		return {
			mode: this.#mode,
			...this.#server,
			placement: this.#placement,
			pid: this.#pid,
			settings: this.#settings,
			notRespondingMs: this.#notRespondingMs,
			accept: this.#accept,
		};
	}

	/** The counts, and the first WORKER_ROWS workers. */
	#workersPart(now: number): Snapshot['workers'] {
		const rows: WorkerRow[] = [];
		for (const worker of this.#workers.values()) {
			if (rows.length >= WORKER_ROWS) break;
			rows.push({
				worker: worker.worker,
				mode: worker.mode,
				connection: worker.connections === 0 ? null : worker.connection,
				connections: worker.connections,
				ageMs: now - worker.startedAt,
				startupMs: worker.startupMs,
			});
		}
		return {threads: this.#threads, processes: this.#processes, busy: this.#busy, rows};
	}

	/** The counts, and the rows `window` selects. */
	#connectionsPart(window: ConnectionWindow, now: number): Snapshot['connections'] {
		const rtt = (connection: Connection) =>
			this.#clientsByLocal.get(connection.peer)?.lastRttMs ?? null;
		const view = this.#view.select(this.#connections, window, rtt, now);
		return {
			open: this.#connections.size,
			active: this.#connections.size - this.#queued.size,
			queued: this.#queued.size,
			acceptedTotal: this.#acceptedTotal,
			sort: window.sort ?? 'id',
			filter: window.filter ?? '',
			matching: view.matching,
			offset: view.offset,
			rows: view.items.map((connection) => this.#row(connection, now)),
		};
	}

	/** Who waits where and for how long, the limits and what they refused. */
	#queuePart(now: number): Snapshot['queue'] {
		const oldest = this.#queued.values().next();
		const oldestWaitMs = oldest.done ? 0 : now - oldest.value.openedAt;
		const limit = this.#settings.maxConnections;
		return {
			waiting: this.#queued.size,
			oldestWaitMs,
			longestWaitMs: Math.max(this.#longestWaitMs, oldestWaitMs),
			acceptQueue: this.#os?.acceptQueue ?? null,
			line: this.#waiting.line,
			pool: this.#waiting.pool,
			output: this.#output,
			maxConnections: limit,
			atLimit: limit !== null && this.#connections.size >= limit,
			refusedTotal: this.#refusedTotal,
			stalled: this.#stalled.size,
			budget: this.#budget,
			...(this.#kernel ? {kernel: this.#kernelPart(this.#kernel)} : {}),
			refusing:
				this.#lastRefusal !== null && now - this.#lastRefusal.at < REFUSING_SHOWN_MS
					? this.#lastRefusal.why
					: null,
		};
	}

	#kernelPart(reading: KernelWaitsReading): KernelWaits {
		const since = (now: ListenCounters | null, key: keyof ListenCounters) =>
			now === null || this.#countersAtStart === null ? null : now[key] - this.#countersAtStart[key];
		let synRetriesMax = 0;
		for (const socket of reading.synSent ?? [])
			synRetriesMax = Math.max(synRetriesMax, socket.synRetries);
		return {
			backlog: reading.backlog,
			synSent: reading.synSent === null ? null : reading.synSent.length,
			synRetriesMax,
			listenOverflows: since(reading.counters, 'overflows'),
			listenDrops: since(reading.counters, 'drops'),
		};
	}

	/**
	 * The test clients the server has no connection for, and where each waits: connected by the
	 * kernel but not accepted (the accept queue), or connecting with its SYNs unanswered. A client
	 * is matched to the server's connections by its local address, which is their peer.
	 */
	#pending(now: number): {connecting: number; unaccepted: number; rows: PendingRow[]} {
		const all: PendingRow[] = [];
		let peers: Set<string> | undefined;
		let retries: Map<string, number> | undefined;
		let connecting = 0;
		let unaccepted = 0;
		for (const client of this.#clients) {
			if (client.connectingSince != null) {
				connecting++;
				retries ??= new Map((this.#kernel?.synSent ?? []).map((s) => [s.local, s.synRetries]));
				const read = client.local === null ? undefined : retries.get(client.local);
				const sinceMs = Math.max(0, now - client.connectingSince);
				all.push({
					client: client.id,
					local: client.local,
					where: 'not connected',
					handshake: 'syn-sent',
					sinceMs,
					synRetries: read ?? derivedSynRetries(sinceMs),
					retriesFrom: read === undefined ? 'derived' : 'kernel',
				});
			} else if (client.phase === 'waiting' && client.local !== null) {
				peers ??= this.#peers();
				if (peers.has(client.local)) continue;
				// Connected by the kernel, not by the server: in its accept queue, or half-open.
				const side = this.#kernel?.serverSide?.get(client.local);
				if (side === 'accepted') continue;
				// Not yet asked about (connected since the last reading): the accept queue, unconfirmed.
				const halfOpen = side === 'none';
				if (halfOpen) connecting++;
				else unaccepted++;
				all.push({
					client: client.id,
					local: client.local,
					where: halfOpen ? 'not connected' : 'kernel queue',
					handshake: halfOpen ? 'half-open' : null,
					sinceMs: client.connectedAt === null ? 0 : Math.max(0, now - client.connectedAt),
					synRetries: null,
					retriesFrom: null,
				});
			}
		}
		// The accept queue first (next to be served), then those kept out; the longest waiting first.
		all.sort(
			(a, b) =>
				Number(a.where !== 'kernel queue') - Number(b.where !== 'kernel queue') ||
				b.sinceMs - a.sinceMs ||
				a.client - b.client,
		);
		return {connecting, unaccepted, rows: all.slice(0, PENDING_ROWS)};
	}

	/** Each connection's id by its peer address (the latest, should a port come back): how a thread's socket, named by `ss`, finds its row. */
	connectionIdsByPeer(): Map<string, number> {
		const ids = new Map<string, number>();
		for (const [id, connection] of this.#connections) ids.set(connection.peer, id);
		return ids;
	}

	#peers(): Set<string> {
		return new Set([...this.#connections.values()].map((connection) => connection.peer));
	}

	/**
	 * Connected test clients the server has not reported accepting, at most `limit`: the kernel is
	 * asked whether each waits in the accept queue or is half-open (collectors/waits.ts).
	 */
	unacceptedClients(limit: number): string[] {
		const found: string[] = [];
		let peers: Set<string> | undefined;
		for (const client of this.#clients) {
			if (found.length >= limit) break;
			if (client.phase !== 'waiting' || client.local === null || client.connectingSince != null)
				continue;
			peers ??= this.#peers();
			if (!peers.has(client.local)) found.push(client.local);
		}
		return found;
	}

	#trafficPart(): Snapshot['traffic'] {
		return {
			...this.#rates,
			messagesTotal: this.#totals.messagesIn,
			readsTotal: this.#totals.reads,
			messagesOutTotal: this.#totals.messagesOut,
			bytesInTotal: this.#totals.bytesIn,
			bytesOutTotal: this.#totals.bytesOut,
			history: [...this.#history],
		};
	}

	/** The test clients: how many, connected, and still waiting for their first reply. */
	#clientsPart(): Snapshot['clients'] {
		let connected = 0;
		let waiting = 0;
		for (const client of this.#clients) {
			if (client.phase === 'waiting' || client.phase === 'answered') connected++;
			if (client.phase === 'waiting' && client.lastRttMs === null) waiting++;
		}
		return {
			total: this.#clients.length,
			connected,
			waiting,
			...(this.#wrongReplies === undefined ? {} : {wrongReplies: this.#wrongReplies}),
			...(this.#replyHint === undefined ? {} : {replyHint: this.#replyHint}),
		};
	}

	#row(connection: Connection, now: number): ConnectionRow {
		const client = this.#clientsByLocal.get(connection.peer);
		const waitEnd = connection.servedAt ?? now;
		return {
			id: connection.id,
			peer: connection.peer,
			state: connection.state,
			by: connection.by,
			waitIn: connection.waitIn,
			bytesIn: connection.bytesIn,
			bytesOut: connection.bytesOut,
			messagesIn: connection.messagesIn,
			messagesOut: connection.messagesOut,
			lastRttMs: client?.lastRttMs ?? null,
			ageMs: now - connection.openedAt,
			waitMs: waitEnd - connection.openedAt,
		};
	}
}

function handledBy(by: HandledBy): string {
	return by.kind === 'main' ? 'main loop' : describeWorker(by);
}
