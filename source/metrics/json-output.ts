import type {OsFigures, PendingRow, Snapshot, ThreadFigures, WatchFigures} from './snapshot.js';
import {processTotals} from '../collectors/figures.js';

/**
 * The version of the JSON convention every command's output follows (docs/json.md): `schema` first,
 * `at` in epoch milliseconds, units in the key (`…Ms`, `…Bytes`, `…PerSec`, `…Percent`), totals
 * since start `…Total`. 2 added `at`, `schema` and the `…Ms` percentiles; the keys of 1 (`time`,
 * `latency.p50`, `latency.p99`) stay until 0.3.
 */
export const JSON_SCHEMA = 2;

/** One JSON document of any command, as a line: the schema version first, its figures rounded. */
export function jsonLine(document: object): string {
	return `${JSON.stringify(jsonDocument(document))}\n`;
}

/** Any command's JSON document: the schema version first, every figure rounded (`roundFigures`). */
export function jsonDocument(document: object): object {
	return roundFigures({schema: JSON_SCHEMA, ...document}) as object;
}

/**
 * Every fractional number of `value`, rounded to what was measured: a rate (`…PerSec`) or a share
 * (`…Percent`) to a tenth; the rest (milliseconds: to the microsecond) to three decimals, or four
 * significant digits below 1 (a histogram's lowest bounds). Whole numbers (counts, bytes, epoch
 * milliseconds) stay as they are.
 */
export function roundFigures(value: unknown, key = ''): unknown {
	if (typeof value === 'number') {
		if (Number.isInteger(value) || !Number.isFinite(value)) return value;
		if (/(PerSec|Percent)(History)?$/.test(key)) return Math.round(value * 10) / 10;
		if (Math.abs(value) < 1) return Number(value.toPrecision(4));
		return Math.round(value * 1000) / 1000;
	}
	if (Array.isArray(value)) return value.map((item) => roundFigures(item, key));
	if (value === null || typeof value !== 'object') return value;
	return Object.fromEntries(
		Object.entries(value).map(([name, inner]) => [name, roundFigures(inner, name)]),
	);
}

/**
 * One line of `--json` output: the documented, stable projection of a snapshot. For a watched
 * server (`watch`) the figures only the server itself could know (its model, settings, worker
 * threads, messages) are null, and `watch` holds what the kernel adds; for the dashboard's own
 * server `watch` is null.
 */
export type JsonLine = {
	/** When the snapshot was taken, epoch milliseconds. */
	readonly at: number;
	/** @deprecated schema 1: `at` as an ISO string; goes in 0.3. */
	readonly time: string;
	readonly mode: string | null;
	readonly host: string;
	readonly port: number;
	readonly handler: string;
	readonly placement: string;
	/** The server's process (the dashboard's own in-process); null while the server process is down. */
	readonly pid: number | null;
	readonly settings: {
		readonly workMs: number | null;
		readonly delayMs: number | null;
		readonly poolSize: number | null;
		readonly maxConnections: number | null;
	};
	readonly connections: {
		readonly active: number;
		readonly queued: number;
		readonly acceptedTotal: number;
	};
	readonly queue: {
		readonly waiting: number;
		readonly longestWaitMs: number;
		readonly acceptQueue: number | null;
		/** The listener's backlog as the kernel holds it (Send-Q of `ss -ltn`); the queue holds one more. */
		readonly backlog: number | null;
		/** This machine's sockets whose SYN to the port has had no answer (`ss state syn-sent`), and the most SYNs one of them retransmitted. */
		readonly synSent: number | null;
		readonly synRetriesMax: number | null;
		/** TcpExt ListenOverflows / ListenDrops since start: the whole machine's, not this server's alone. */
		readonly listenOverflows: number | null;
		readonly listenDrops: number | null;
		readonly line: number | null;
		readonly pool: number | null;
		readonly outputMessages: number | null;
		readonly outputBytes: number | null;
		readonly refusedTotal: number | null;
	};
	readonly threads: {
		readonly os: number | null;
		readonly workers: number | null;
		readonly busy: number | null;
	};
	readonly processes: {
		/** Null before the collector has read them (systeminformation, until it is loaded). */
		readonly count: number | null;
		readonly pids: readonly number[];
		readonly rssBytes: number | null;
	};
	readonly traffic: {
		readonly messagesInPerSec: number | null;
		readonly messagesOutPerSec: number | null;
		readonly bytesInPerSec: number;
		readonly bytesOutPerSec: number;
		readonly readsPerSec: number | null;
		readonly messagesTotal: number | null;
		readonly readsTotal: number | null;
		readonly bytesInTotal: number;
		readonly bytesOutTotal: number;
	};
	readonly latency: {
		readonly p50Ms: number | null;
		readonly p99Ms: number | null;
		readonly samples: number;
		/** @deprecated schema 1: p50Ms without the unit; goes in 0.3. */
		readonly p50: number | null;
		/** @deprecated schema 1: p99Ms without the unit; goes in 0.3. */
		readonly p99: number | null;
	};
	readonly clients: {
		readonly total: number;
		readonly connected: number;
		readonly waiting: number;
		/** Not connected (connecting, or again after losing the server): with `pid` null, those waiting for it. */
		readonly connecting: number;
		/** Connected by the kernel, but the server has no connection from them: in its accept queue. */
		readonly unaccepted: number;
		/** The test clients the server has not accepted, where each waits: the kernel queue first, then the longest waiting (at most 20). */
		readonly pending: readonly PendingRow[];
		/** watch --handler: replies that were not the correct one; absent when not checked. */
		readonly wrongReplies?: number;
		/** What the wrong replies look like, and the flag that fits; absent while none was wrong. */
		readonly replyHint?: string;
	};
	readonly hostCpuPercent: number | null;
	readonly watch: JsonWatch | null;
};

/** What `watch` adds: the listeners, the bytes held in the kernel, and each process's threads. */
export type JsonWatch = Omit<WatchFigures, 'listeners'> & {
	readonly listeners: WatchFigures['listeners'];
	readonly processes: readonly {
		readonly pid: number;
		readonly name: string;
		readonly threads: readonly ThreadFigures[];
	}[];
	/** Ended descendants not yet reaped: not in `processes`, nor in any count. */
	readonly zombies: NonNullable<OsFigures['zombies']>;
};

const round = (value: number) => Math.round(value * 1000) / 1000;
const roundOrNull = (value: number | null) => (value === null ? null : round(value));

export function toJsonLine(snapshot: Snapshot): JsonLine {
	const line = dashboardJsonLine(snapshot);
	const {watch} = snapshot;
	if (!watch) return line;
	// Only the server could tell these; the kernel cannot.
	return {
		...line,
		mode: null,
		settings: {workMs: null, delayMs: null, poolSize: null, maxConnections: null},
		queue: {
			...line.queue,
			line: null,
			pool: null,
			outputMessages: null,
			outputBytes: null,
			refusedTotal: null,
		},
		threads: {...line.threads, workers: null, busy: null},
		traffic: {
			...line.traffic,
			messagesInPerSec: null,
			messagesOutPerSec: null,
			messagesTotal: null,
			readsPerSec: null,
			readsTotal: null,
		},
		watch: {
			...watch,
			processes: (snapshot.os?.processes ?? []).map((process) => ({
				pid: process.pid,
				name: process.name,
				threads: (process.tasks ?? []).map((task) => ({
					...task,
					cpuPercent: roundOrNull(task.cpuPercent),
				})),
			})),
			zombies: snapshot.os?.zombies ?? [],
		},
	};
}

function dashboardJsonLine(snapshot: Snapshot): JsonLine {
	const processes = snapshot.os?.processes ?? [];
	const totals = processTotals(processes);
	const {kernel} = snapshot.queue;
	return {
		at: snapshot.at,
		time: new Date(snapshot.at).toISOString(),
		mode: snapshot.server.mode,
		host: snapshot.server.host,
		port: snapshot.server.port,
		handler: snapshot.server.handler,
		placement: snapshot.server.placement,
		pid: snapshot.server.pid,
		settings: snapshot.server.settings,
		connections: {
			active: snapshot.connections.active,
			queued: snapshot.connections.queued,
			acceptedTotal: snapshot.connections.acceptedTotal,
		},
		queue: {
			waiting: snapshot.queue.waiting,
			longestWaitMs: round(snapshot.queue.longestWaitMs),
			acceptQueue: snapshot.queue.acceptQueue,
			backlog: kernel?.backlog ?? null,
			synSent: kernel?.synSent ?? null,
			synRetriesMax: kernel ? kernel.synRetriesMax : null,
			listenOverflows: kernel?.listenOverflows ?? null,
			listenDrops: kernel?.listenDrops ?? null,
			line: snapshot.queue.line,
			pool: snapshot.queue.pool,
			outputMessages: snapshot.queue.output.messages,
			outputBytes: snapshot.queue.output.bytes,
			refusedTotal: snapshot.queue.refusedTotal,
		},
		threads: {
			os: snapshot.os ? totals.threads : null,
			workers: snapshot.workers.threads,
			busy: snapshot.workers.busy,
		},
		processes: {
			count: snapshot.os ? processes.length : null,
			pids: processes.map((process) => process.pid),
			rssBytes: snapshot.os ? totals.rssBytes : null,
		},
		traffic: {
			messagesInPerSec: round(snapshot.traffic.messagesInPerSec),
			messagesOutPerSec: round(snapshot.traffic.messagesOutPerSec),
			bytesInPerSec: round(snapshot.traffic.bytesInPerSec),
			bytesOutPerSec: round(snapshot.traffic.bytesOutPerSec),
			readsPerSec: round(snapshot.traffic.readsPerSec),
			messagesTotal: snapshot.traffic.messagesTotal,
			readsTotal: snapshot.traffic.readsTotal,
			bytesInTotal: snapshot.traffic.bytesInTotal,
			bytesOutTotal: snapshot.traffic.bytesOutTotal,
		},
		latency: {
			p50Ms: roundOrNull(snapshot.latency.p50Ms),
			p99Ms: roundOrNull(snapshot.latency.p99Ms),
			samples: snapshot.latency.samples,
			p50: roundOrNull(snapshot.latency.p50Ms),
			p99: roundOrNull(snapshot.latency.p99Ms),
		},
		clients: {
			...snapshot.clients,
			connecting: snapshot.clients.total - snapshot.clients.connected,
			unaccepted: snapshot.clients.unaccepted ?? 0,
			pending: snapshot.connections.pending ?? [],
		},
		hostCpuPercent: snapshot.host ? round(snapshot.host.cpuPercent) : null,
		watch: null,
	};
}
