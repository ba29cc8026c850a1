import type {Snapshot} from './metrics/snapshot.js';

/** One line of `--json` output: the documented, stable projection of a snapshot. */
export type JsonLine = {
	readonly time: string;
	readonly mode: string | null;
	readonly host: string;
	readonly port: number;
	readonly handler: string;
	readonly placement: string;
	readonly settings: {
		readonly workMs: number;
		readonly delayMs: number;
		readonly poolSize: number;
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
		readonly line: number;
		readonly pool: number;
		readonly outputMessages: number;
		readonly outputBytes: number;
		readonly refusedTotal: number;
	};
	readonly threads: {readonly os: number | null; readonly workers: number; readonly busy: number};
	readonly processes: {
		readonly count: number;
		readonly pids: readonly number[];
		readonly rssBytes: number | null;
	};
	readonly traffic: {
		readonly messagesInPerSec: number;
		readonly messagesOutPerSec: number;
		readonly bytesInPerSec: number;
		readonly bytesOutPerSec: number;
		readonly messagesTotal: number;
	};
	readonly latency: {
		readonly p50: number | null;
		readonly p99: number | null;
		readonly samples: number;
	};
	readonly clients: {readonly total: number; readonly connected: number; readonly waiting: number};
	readonly hostCpuPercent: number | null;
};

const round = (value: number) => Math.round(value * 1000) / 1000;
const roundOrNull = (value: number | null) => (value === null ? null : round(value));

export function toJsonLine(snapshot: Snapshot): JsonLine {
	const processes = snapshot.os?.processes ?? [];
	return {
		time: new Date(snapshot.at).toISOString(),
		mode: snapshot.server.mode,
		host: snapshot.server.host,
		port: snapshot.server.port,
		handler: snapshot.server.handler,
		placement: snapshot.server.placement,
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
			line: snapshot.queue.line,
			pool: snapshot.queue.pool,
			outputMessages: snapshot.queue.output.messages,
			outputBytes: snapshot.queue.output.bytes,
			refusedTotal: snapshot.queue.refusedTotal,
		},
		threads: {
			os: snapshot.os ? processes.reduce((sum, process) => sum + process.threads, 0) : null,
			workers: snapshot.workers.threads,
			busy: snapshot.workers.busy,
		},
		processes: {
			count: processes.length,
			pids: processes.map((process) => process.pid),
			rssBytes: snapshot.os ? processes.reduce((sum, process) => sum + process.rssBytes, 0) : null,
		},
		traffic: {
			messagesInPerSec: round(snapshot.traffic.messagesInPerSec),
			messagesOutPerSec: round(snapshot.traffic.messagesOutPerSec),
			bytesInPerSec: round(snapshot.traffic.bytesInPerSec),
			bytesOutPerSec: round(snapshot.traffic.bytesOutPerSec),
			messagesTotal: snapshot.traffic.messagesTotal,
		},
		latency: {
			p50: roundOrNull(snapshot.latency.p50Ms),
			p99: roundOrNull(snapshot.latency.p99Ms),
			samples: snapshot.latency.samples,
		},
		clients: snapshot.clients,
		hostCpuPercent: snapshot.host ? round(snapshot.host.cpuPercent) : null,
	};
}
