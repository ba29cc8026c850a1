import http from 'node:http';
import type {Socket} from 'node:net';
import client from 'prom-client';
import type {DashboardSource} from './source.js';
import {listen} from '../server/listen.js';
// Its connections are counted in the fd budget (reserveMetricsFds), never out of the headroom the
// dashboard's /proc reads need: a crowd of idle ones cannot make them fail with EMFILE.
import {MAX_METRICS_CONNECTIONS} from '../server/fd-limit.js';
import type {ProcessFigures, Snapshot} from './snapshot.js';
import {processTotals} from '../collectors/figures.js';

/**
 * Round-trip buckets in seconds: from a loopback echo (0.05 to 0.5 ms here, where most round trips
 * fall, so at most 1.5 times apart below a millisecond) to a thread-per-client pile-up (seconds).
 */
export const RTT_BUCKETS = [
	0.00005, 0.000075, 0.0001, 0.00015, 0.0002, 0.0003, 0.0004, 0.0005, 0.00075, 0.001, 0.0015,
	0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

const PREFIX = 'concurrency_top_';

/** Each metric by its name after PREFIX: its help text, as a scrape shows it. */
const HELP = {
	info: 'Always 1; the labels say which model runs now, with which handler and version.',
	connections:
		'Open connections by state: active (being served) or queued (in the server wait line).',
	connections_accepted_total: 'Connections accepted by the server.',
	os_threads: 'OS threads of the server processes (/proc/<pid>/task).',
	processes: 'Processes of the server: itself and its children, test clients excluded.',
	resident_memory_bytes: 'Resident memory of the server processes, summed.',
	queue_depth:
		'Connections waiting: in the server wait line (wait_line) or the kernel accept queue (accept_queue).',
	queue_longest_wait_seconds:
		'The longest time a connection has waited in the server wait line so far.',
	messages_total: 'Messages (lines) received (in) and sent (out) by the server.',
	bytes_total: 'Bytes received (in) and sent (out) by the server.',
	round_trip_seconds:
		'Round trips measured by the test clients: a line sent until its whole reply arrived.',
	test_clients:
		'Test clients by state, each in one: answered (connected, had a reply), waiting (connected, no reply yet), connecting (not connected); sum() is every client opened.',
	host_cpu_seconds_total:
		'CPU time of the whole machine, all cores, since boot (/proc/stat): busy, or idle (idle and I/O wait); rate() of busy over the sum is the load.',
	server_cpu_seconds_total:
		'CPU time (user and system) used by the server processes (/proc/<pid>/stat); in-process, the dashboard shares the process.',
	connections_refused_total:
		'Connections the server closed at once because it was at its connection limit.',
	busy_workers: 'Worker threads or child processes of the model serving a connection now.',
	output_queue_bytes: 'Reply bytes waiting in the server output queues (the reactor model).',
} as const;

/**
 * The snapshot's figures as Prometheus metrics. Gauges are set from the latest snapshot at each
 * scrape; counters follow the snapshot's totals (each increment goes to the model that was running
 * when it was seen); the round-trip histogram observes every round trip the test clients report.
 */
export class PrometheusExporter {
	readonly registry = new client.Registry();
	readonly #source: DashboardSource;
	readonly #version: string;
	readonly #info: client.Gauge<'model' | 'handler' | 'version'>;
	readonly #connections: client.Gauge<'model' | 'state'>;
	readonly #accepted: client.Counter<'model'>;
	readonly #threads: client.Gauge<'model'>;
	readonly #processes: client.Gauge<'model'>;
	readonly #rss: client.Gauge<'model'>;
	readonly #queue: client.Gauge<'model' | 'queue'>;
	readonly #longestWait: client.Gauge<'model'>;
	readonly #messages: client.Counter<'model' | 'direction'>;
	readonly #bytes: client.Counter<'model' | 'direction'>;
	readonly #rtt: client.Histogram<'model'>;
	readonly #clients: client.Gauge<'state'>;
	readonly #hostCpu: client.Counter<'mode'>;
	readonly #cpu: client.Counter<'model'>;
	readonly #refused: client.Counter<'model'>;
	readonly #busy: client.Gauge<'model'>;
	readonly #outputBytes: client.Gauge<'model'>;
	/** The totals already counted, so that each scrape adds only what is new. */
	#seen = {accepted: 0, refused: 0, messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0};
	/** CPU seconds already counted, per server process. */
	#cpuSeen = new Map<number, number>();
	/** The machine's busy and idle seconds already counted. */
	#hostSeen = {busy: 0, idle: 0};

	constructor(source: DashboardSource, version: string) {
		this.#source = source;
		this.#version = version;
		const registers = [this.registry];
		const gauge = <L extends string>(name: keyof typeof HELP, labelNames: readonly L[] = []) =>
			new client.Gauge<L>({name: PREFIX + name, help: HELP[name], labelNames, registers});
		const counter = <L extends string>(name: keyof typeof HELP, labelNames: readonly L[]) =>
			new client.Counter<L>({name: PREFIX + name, help: HELP[name], labelNames, registers});
		this.#info = gauge('info', ['model', 'handler', 'version']);
		this.#connections = gauge('connections', ['model', 'state']);
		this.#accepted = counter('connections_accepted_total', ['model']);
		this.#threads = gauge('os_threads', ['model']);
		this.#processes = gauge('processes', ['model']);
		this.#rss = gauge('resident_memory_bytes', ['model']);
		this.#queue = gauge('queue_depth', ['model', 'queue']);
		this.#longestWait = gauge('queue_longest_wait_seconds', ['model']);
		this.#messages = counter('messages_total', ['model', 'direction']);
		this.#bytes = counter('bytes_total', ['model', 'direction']);
		this.#rtt = new client.Histogram({
			name: PREFIX + 'round_trip_seconds',
			help: HELP.round_trip_seconds,
			labelNames: ['model'],
			buckets: RTT_BUCKETS,
			registers,
		});
		this.#clients = gauge('test_clients', ['state']);
		this.#hostCpu = counter('host_cpu_seconds_total', ['mode']);
		this.#cpu = counter('server_cpu_seconds_total', ['model']);
		this.#refused = counter('connections_refused_total', ['model']);
		this.#busy = gauge('busy_workers', ['model']);
		this.#outputBytes = gauge('output_queue_bytes', ['model']);
	}

	/** Round trips in microseconds, as the test clients report them. */
	observeRoundTrips(micros: readonly number[]): void {
		const model = this.#model(this.#source.snapshot);
		for (const value of micros) this.#rtt.observe({model}, value / 1e6);
	}

	/** The text a scrape gets: the latest snapshot folded in first. */
	async scrape(): Promise<string> {
		this.update(this.#source.snapshot);
		return this.registry.metrics();
	}

	get contentType(): string {
		return this.registry.contentType;
	}

	update(snapshot: Snapshot): void {
		const model = this.#model(snapshot);
		this.#setGauges(snapshot, model);
		const processes = snapshot.os?.processes;
		if (processes) this.#countCpu(model, processes);
		this.#countTotals(snapshot, model);
		this.#countHostCpu(snapshot);
	}

	/** The machine's CPU seconds since boot: what /proc/stat gained since the last update. */
	#countHostCpu(snapshot: Snapshot): void {
		const busy = snapshot.host?.cpuBusySeconds;
		const idle = snapshot.host?.cpuIdleSeconds;
		if (busy === undefined || idle === undefined) return;
		this.#hostCpu.inc({mode: 'busy'}, Math.max(0, busy - this.#hostSeen.busy));
		this.#hostCpu.inc({mode: 'idle'}, Math.max(0, idle - this.#hostSeen.idle));
		this.#hostSeen = {
			busy: Math.max(busy, this.#hostSeen.busy),
			idle: Math.max(idle, this.#hostSeen.idle),
		};
	}

	/** Gauges describe now: the series of a model no longer running disappear. */
	#setGauges(snapshot: Snapshot, model: string): void {
		for (const gauge of [
			this.#info,
			this.#connections,
			this.#threads,
			this.#processes,
			this.#rss,
			this.#queue,
			this.#longestWait,
			this.#clients,
			this.#busy,
			this.#outputBytes,
		])
			gauge.reset();
		this.#info.set({model, handler: snapshot.server.handler, version: this.#version}, 1);
		this.#connections.set({model, state: 'active'}, snapshot.connections.active);
		this.#connections.set({model, state: 'queued'}, snapshot.connections.queued);
		const processes = snapshot.os?.processes;
		if (processes) {
			const totals = processTotals(processes);
			// Where the collector cannot count threads (systeminformation), the series is left out.
			if (totals.threads !== null) this.#threads.set({model}, totals.threads);
			this.#processes.set({model}, processes.length);
			this.#rss.set({model}, totals.rssBytes);
		}
		this.#queue.set({model, queue: 'wait_line'}, snapshot.queue.waiting);
		if (snapshot.queue.acceptQueue !== null) {
			this.#queue.set({model, queue: 'accept_queue'}, snapshot.queue.acceptQueue);
		}
		this.#longestWait.set({model}, snapshot.queue.longestWaitMs / 1000);
		// One state each, so that sum() is the clients opened (a total beside them counted them twice).
		const {total, connected, waiting} = snapshot.clients;
		this.#clients.set({state: 'answered'}, Math.max(0, connected - waiting));
		this.#clients.set({state: 'waiting'}, waiting);
		this.#clients.set({state: 'connecting'}, Math.max(0, total - connected));
		// A server we only watch cannot tell its workers or its output queues.
		if (!snapshot.watch) {
			this.#busy.set({model}, snapshot.workers.busy);
			this.#outputBytes.set({model}, snapshot.queue.output.bytes);
		}
	}

	/** Adds to each counter what the snapshot's totals gained since the last update. */
	#countTotals(snapshot: Snapshot, model: string): void {
		const traffic = snapshot.traffic;
		const now = {
			accepted: snapshot.connections.acceptedTotal,
			refused: snapshot.queue.refusedTotal,
			messagesIn: traffic.messagesTotal,
			messagesOut: traffic.messagesOutTotal,
			bytesIn: traffic.bytesInTotal,
			bytesOut: traffic.bytesOutTotal,
		};
		const seen = this.#seen;
		this.#accepted.inc({model}, Math.max(0, now.accepted - seen.accepted));
		this.#refused.inc({model}, Math.max(0, now.refused - seen.refused));
		this.#messages.inc({model, direction: 'in'}, Math.max(0, now.messagesIn - seen.messagesIn));
		this.#messages.inc({model, direction: 'out'}, Math.max(0, now.messagesOut - seen.messagesOut));
		this.#bytes.inc({model, direction: 'in'}, Math.max(0, now.bytesIn - seen.bytesIn));
		this.#bytes.inc({model, direction: 'out'}, Math.max(0, now.bytesOut - seen.bytesOut));
		this.#seen = now;
	}

	/**
	 * Adds the CPU each server process used since the last scrape. A process seen for the first time
	 * adds all it used; the CPU of one that ended between two scrapes after the last is not seen.
	 */
	#countCpu(model: string, processes: readonly ProcessFigures[]): void {
		const seen = new Map<number, number>();
		for (const process of processes) {
			if (process.cpuSeconds === undefined) continue;
			const before = this.#cpuSeen.get(process.pid) ?? 0;
			this.#cpu.inc({model}, Math.max(0, process.cpuSeconds - before));
			seen.set(process.pid, Math.max(before, process.cpuSeconds));
		}
		this.#cpuSeen = seen;
	}

	#model(snapshot: Snapshot): string {
		return snapshot.server.mode ?? 'none';
	}
}

export type MetricsEndpoint = {
	readonly exporter: PrometheusExporter;
	readonly port: number;
	readonly close: () => Promise<void>;
};

/** A connection that has not sent a whole request by then is closed (Node's default is 60 s). */
const METRICS_HEADERS_TIMEOUT_MS = 5000;

/** At most MAX_METRICS_CONNECTIONS at once: a newcomer makes the oldest one go, idle or not. */
function capConnections(server: http.Server): void {
	const open = new Set<Socket>();
	server.on('connection', (socket) => {
		if (open.size >= MAX_METRICS_CONNECTIONS) open.values().next().value!.destroy();
		open.add(socket);
		socket.once('close', () => open.delete(socket));
	});
}

/** Scrapes closer together than this get the same text: a flood of requests costs no rendering. */
const MIN_SCRAPE_INTERVAL_MS = 200;

/** The exporter's text, rendered again only when the last rendering is older than the interval. */
function scrapeAtMostEvery(exporter: PrometheusExporter): Promise<string> {
	const now = Date.now();
	const last = lastScrape.get(exporter);
	if (last && now - last.at < MIN_SCRAPE_INTERVAL_MS) return last.text;
	const text = exporter.scrape();
	lastScrape.set(exporter, {at: now, text});
	return text;
}
const lastScrape = new WeakMap<PrometheusExporter, {at: number; text: Promise<string>}>();

/** Requests one connection may make a second; past them it is closed (a scraper makes one in 15 s). */
const MAX_REQUESTS_PER_SECOND = 10;
const requestsSeen = new WeakMap<Socket, {second: number; count: number}>();

function withinRequestRate(socket: Socket): boolean {
	const second = Math.floor(Date.now() / 1000);
	const seen = requestsSeen.get(socket);
	if (!seen || seen.second !== second) {
		requestsSeen.set(socket, {second, count: 1});
		return true;
	}
	return ++seen.count <= MAX_REQUESTS_PER_SECOND;
}

/** Serves `/metrics` over HTTP on `host:port`; everything else is a 404. */
export async function serveMetrics(
	exporter: PrometheusExporter,
	host: string,
	port: number,
): Promise<MetricsEndpoint> {
	const options = {
		headersTimeout: METRICS_HEADERS_TIMEOUT_MS,
		requestTimeout: 2 * METRICS_HEADERS_TIMEOUT_MS,
		connectionsCheckingInterval: 1000,
	};
	const server = http.createServer(options, (request, response) => {
		if (!withinRequestRate(request.socket)) {
			request.socket.destroy();
			return;
		}
		const path = (request.url ?? '/').split('?')[0];
		if (request.method !== 'GET' && request.method !== 'HEAD') {
			response.writeHead(405, {allow: 'GET, HEAD'}).end();
			return;
		}
		if (path !== '/metrics') {
			response
				.writeHead(404, {'content-type': 'text/plain; charset=utf-8'})
				.end('concurrency-top: the metrics are at /metrics\n');
			return;
		}
		scrapeAtMostEvery(exporter).then(
			(text) => {
				response.writeHead(200, {'content-type': exporter.contentType});
				response.end(request.method === 'HEAD' ? undefined : text);
			},
			(error: unknown) => {
				response.writeHead(500, {'content-type': 'text/plain; charset=utf-8'});
				response.end(`${error instanceof Error ? error.message : String(error)}\n`);
			},
		);
	});
	server.keepAliveTimeout = 65_000;
	capConnections(server);
	const bound = await listen(server, host, port);
	return {
		exporter,
		port: bound,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

/** The exporter on a Controller-like source: round trips wired in, HTTP listening. */
export async function startMetrics(
	source: DashboardSource & {
		readonly onRoundTrips: (listener: (micros: readonly number[]) => void) => () => void;
	},
	host: string,
	port: number,
	version: string,
): Promise<MetricsEndpoint> {
	const exporter = new PrometheusExporter(source, version);
	const unsubscribe = source.onRoundTrips((micros) => exporter.observeRoundTrips(micros));
	const endpoint = await serveMetrics(exporter, host, port);
	return {
		...endpoint,
		close: async () => {
			unsubscribe();
			await endpoint.close();
		},
	};
}
