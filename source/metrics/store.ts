import {createHistogram, type RecordableHistogram} from 'node:perf_hooks';
import {formatDuration} from '../format.js';
import type {
	ClientReport,
	ClientStatus,
	ConnectionState,
	HandledBy,
	ServerEvent,
} from '../protocol.js';
import type {ConnectionRow, EventLine, HostFigures, OsFigures, Snapshot} from './snapshot.js';

export const HISTORY_SECONDS = 60;
const EVENT_LINES = 100;

type Connection = {
	readonly id: number;
	readonly peer: string;
	state: ConnectionState;
	by: HandledBy;
	readonly openedAt: number;
	servedAt: number | null;
	bytesIn: number;
	bytesOut: number;
	messagesIn: number;
	messagesOut: number;
};

type Totals = {bytesIn: number; bytesOut: number; messagesIn: number; messagesOut: number};

export type ServerIdentity = {host: string; port: number; handler: string};

/** Which rows of the connection list the screen has room for. */
export type ConnectionWindow = {readonly offset: number; readonly limit: number};

/**
 * Folds server events and client reports into counts, rates and percentiles, and hands out
 * immutable snapshots. Work per event is O(1); work per snapshot is bounded by the rows asked for.
 */
export class MetricsStore {
	readonly #connections = new Map<number, Connection>();
	/** Queued connections in arrival order; the first is the one that has waited longest. */
	readonly #queued = new Map<number, Connection>();
	readonly #totals: Totals = {bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0};
	#acceptedTotal = 0;
	#longestWaitMs = 0;
	#server: ServerIdentity;
	#mode: string | null = null;

	#windowStart: number;
	#windowTotals: Totals = {...this.#totals};
	#rates = {messagesInPerSec: 0, messagesOutPerSec: 0, bytesInPerSec: 0, bytesOutPerSec: 0};
	readonly #history: number[] = [];

	readonly #rtt: RecordableHistogram = createHistogram();
	#latency: Snapshot['latency'] = {p50Ms: null, p99Ms: null, maxMs: null, samples: 0};

	#clients: readonly ClientStatus[] = [];
	#clientsByLocal = new Map<string, ClientStatus>();
	#os: OsFigures | null = null;
	#host: HostFigures | null = null;
	readonly #events: EventLine[] = [];

	constructor(server: ServerIdentity, now = Date.now()) {
		this.#server = server;
		this.#windowStart = now;
	}

	apply(event: ServerEvent): void {
		switch (event.type) {
			case 'listening': {
				this.#mode = event.mode;
				this.#server = {...this.#server, host: event.host, port: event.port};
				this.log(event.at, 'info', `${event.mode} server listening on ${event.host}:${event.port}`);
				break;
			}
			case 'conn-open': {
				const connection: Connection = {
					id: event.id,
					peer: event.peer,
					state: event.state,
					by: event.by,
					openedAt: event.at,
					servedAt: event.state === 'active' ? event.at : null,
					bytesIn: 0,
					bytesOut: 0,
					messagesIn: 0,
					messagesOut: 0,
				};
				this.#connections.set(event.id, connection);
				this.#acceptedTotal++;
				if (event.state === 'queued') {
					this.#queued.set(event.id, connection);
					this.log(event.at, 'info', `#${event.id} ${event.peer} connected, queued`);
				} else {
					this.log(event.at, 'info', `#${event.id} ${event.peer} connected`);
				}
				break;
			}
			case 'conn-serve': {
				const connection = this.#connections.get(event.id);
				if (!connection) break;
				connection.state = 'active';
				connection.by = event.by;
				connection.servedAt = event.at;
				this.#queued.delete(event.id);
				const waited = event.at - connection.openedAt;
				this.#longestWaitMs = Math.max(this.#longestWaitMs, waited);
				this.log(event.at, 'info', `#${event.id} served after waiting ${formatDuration(waited)}`);
				break;
			}
			case 'conn-close': {
				const connection = this.#connections.get(event.id);
				if (!connection) break;
				this.#connections.delete(event.id);
				if (this.#queued.delete(event.id)) {
					this.#longestWaitMs = Math.max(this.#longestWaitMs, event.at - connection.openedAt);
				}
				this.log(event.at, 'info', `#${event.id} ${connection.peer} closed`);
				break;
			}
			case 'traffic': {
				for (const [id, bytesIn, bytesOut, messagesIn, messagesOut] of event.deltas) {
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
				break;
			}
			case 'log': {
				this.log(event.at, event.level, event.text);
				break;
			}
		}
	}

	/** The server is gone (stopped or switched): its connections went with it. */
	clearConnections(): void {
		this.#connections.clear();
		this.#queued.clear();
	}

	applyClients(report: ClientReport): void {
		this.#clients = report.clients;
		this.#clientsByLocal = new Map();
		for (const client of report.clients) {
			if (client.local !== null) this.#clientsByLocal.set(client.local, client);
		}
		for (const micros of report.rttMicros) this.#rtt.record(Math.max(1, Math.round(micros)));
	}

	setOs(figures: OsFigures | null): void {
		this.#os = figures;
	}

	setHost(figures: HostFigures | null): void {
		this.#host = figures;
	}

	log(at: number, level: EventLine['level'], text: string): void {
		this.#events.push({at, level, text});
		if (this.#events.length > EVENT_LINES) this.#events.shift();
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
		};
		this.#windowTotals = {...this.#totals};
		this.#windowStart = now;
		this.#history.push(this.#rates.messagesInPerSec);
		if (this.#history.length > HISTORY_SECONDS) this.#history.shift();

		const samples = this.#rtt.count;
		this.#latency =
			samples === 0
				? {p50Ms: null, p99Ms: null, maxMs: null, samples: 0}
				: {
						p50Ms: this.#rtt.percentile(50) / 1000,
						p99Ms: this.#rtt.percentile(99) / 1000,
						maxMs: this.#rtt.max / 1000,
						samples,
					};
		this.#rtt.reset();
	}

	snapshot(window: ConnectionWindow, now = Date.now()): Snapshot {
		const offset = Math.max(0, Math.min(window.offset, this.#connections.size - window.limit));
		const rows: ConnectionRow[] = [];
		let index = 0;
		for (const connection of this.#connections.values()) {
			if (rows.length >= window.limit) break;
			if (index++ < offset) continue;
			rows.push(this.#row(connection, now));
		}
		const oldest = this.#queued.values().next();
		const oldestWaitMs = oldest.done ? 0 : now - oldest.value.openedAt;
		let connected = 0;
		let waiting = 0;
		for (const client of this.#clients) {
			if (client.phase === 'waiting' || client.phase === 'answered') connected++;
			if (client.phase === 'waiting' && client.lastRttMs === null) waiting++;
		}
		return {
			at: now,
			server: {mode: this.#mode, ...this.#server},
			connections: {
				open: this.#connections.size,
				active: this.#connections.size - this.#queued.size,
				queued: this.#queued.size,
				acceptedTotal: this.#acceptedTotal,
				offset,
				rows,
			},
			queue: {
				waiting: this.#queued.size,
				oldestWaitMs,
				longestWaitMs: Math.max(this.#longestWaitMs, oldestWaitMs),
				acceptQueue: this.#os?.acceptQueue ?? null,
			},
			traffic: {
				...this.#rates,
				messagesTotal: this.#totals.messagesIn,
				messagesOutTotal: this.#totals.messagesOut,
				bytesInTotal: this.#totals.bytesIn,
				bytesOutTotal: this.#totals.bytesOut,
				history: [...this.#history],
			},
			latency: this.#latency,
			clients: {total: this.#clients.length, connected, waiting},
			os: this.#os,
			host: this.#host,
			events: this.#events.slice(-20),
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
