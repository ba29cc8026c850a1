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

/** Round-trip buckets in seconds: from a loopback echo (~0.1 ms) to a thread-per-client pile-up (seconds). */
export const RTT_BUCKETS = [
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

const PREFIX = 'concurrency_top_';

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
	readonly #hostCpu: client.Gauge;
	readonly #cpu: client.Counter<'model'>;
	readonly #refused: client.Counter<'model'>;
	readonly #busy: client.Gauge<'model'>;
	readonly #outputBytes: client.Gauge<'model'>;
	/** The totals already counted, so that each scrape adds only what is new. */
	#seen = {accepted: 0, refused: 0, messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0};
	/** CPU seconds already counted, per server process. */
	#cpuSeen = new Map<number, number>();

	constructor(source: DashboardSource, version: string) {
		this.#source = source;
		this.#version = version;
		const registers = [this.registry];
		this.#info = new client.Gauge({
			name: `${PREFIX}info`,
			help: 'Always 1; the labels say which model runs now, with which handler and version.',
			labelNames: ['model', 'handler', 'version'],
			registers,
		});
		this.#connections = new client.Gauge({
			name: `${PREFIX}connections`,
			help: 'Open connections by state: active (being served) or queued (in the server wait line).',
			labelNames: ['model', 'state'],
			registers,
		});
		this.#accepted = new client.Counter({
			name: `${PREFIX}connections_accepted_total`,
			help: 'Connections accepted by the server.',
			labelNames: ['model'],
			registers,
		});
		this.#threads = new client.Gauge({
			name: `${PREFIX}os_threads`,
			help: 'OS threads of the server processes (/proc/<pid>/task).',
			labelNames: ['model'],
			registers,
		});
		this.#processes = new client.Gauge({
			name: `${PREFIX}processes`,
			help: 'Processes of the server: itself and its children, test clients excluded.',
			labelNames: ['model'],
			registers,
		});
		this.#rss = new client.Gauge({
			name: `${PREFIX}resident_memory_bytes`,
			help: 'Resident memory of the server processes, summed.',
			labelNames: ['model'],
			registers,
		});
		this.#queue = new client.Gauge({
			name: `${PREFIX}queue_depth`,
			help: 'Connections waiting: in the server wait line (wait_line) or the kernel accept queue (accept_queue).',
			labelNames: ['model', 'queue'],
			registers,
		});
		this.#longestWait = new client.Gauge({
			name: `${PREFIX}queue_longest_wait_seconds`,
			help: 'The longest time a connection has waited in the server wait line so far.',
			labelNames: ['model'],
			registers,
		});
		this.#messages = new client.Counter({
			name: `${PREFIX}messages_total`,
			help: 'Messages (lines) received (in) and sent (out) by the server.',
			labelNames: ['model', 'direction'],
			registers,
		});
		this.#bytes = new client.Counter({
			name: `${PREFIX}bytes_total`,
			help: 'Bytes received (in) and sent (out) by the server.',
			labelNames: ['model', 'direction'],
			registers,
		});
		this.#rtt = new client.Histogram({
			name: `${PREFIX}round_trip_seconds`,
			help: 'Round trips measured by the test clients: a line sent until its whole reply arrived.',
			labelNames: ['model'],
			buckets: RTT_BUCKETS,
			registers,
		});
		this.#clients = new client.Gauge({
			name: `${PREFIX}test_clients`,
			help: 'Test clients: opened (total), connected, connected but never answered (waiting).',
			labelNames: ['state'],
			registers,
		});
		this.#hostCpu = new client.Gauge({
			name: `${PREFIX}host_cpu_ratio`,
			help: 'The whole machine CPU load, from 0 (idle) to 1 (every core busy).',
			registers,
		});
		this.#cpu = new client.Counter({
			name: `${PREFIX}server_cpu_seconds_total`,
			help: 'CPU time (user and system) used by the server processes (/proc/<pid>/stat); in-process, the dashboard shares the process.',
			labelNames: ['model'],
			registers,
		});
		this.#refused = new client.Counter({
			name: `${PREFIX}connections_refused_total`,
			help: 'Connections the server closed at once because it was at its connection limit.',
			labelNames: ['model'],
			registers,
		});
		this.#busy = new client.Gauge({
			name: `${PREFIX}busy_workers`,
			help: 'Worker threads or child processes of the model serving a connection now.',
			labelNames: ['model'],
			registers,
		});
		this.#outputBytes = new client.Gauge({
			name: `${PREFIX}output_queue_bytes`,
			help: 'Reply bytes waiting in the server output queues (the reactor model).',
			labelNames: ['model'],
			registers,
		});
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
		// Gauges describe now: the series of a model no longer running disappear.
		for (const gauge of [
			this.#info,
			this.#connections,
			this.#threads,
			this.#processes,
			this.#rss,
			this.#queue,
			this.#longestWait,
			this.#clients,
			this.#hostCpu,
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
			this.#threads.set({model}, totals.threads);
			this.#processes.set({model}, processes.length);
			this.#rss.set({model}, totals.rssBytes);
		}
		this.#queue.set({model, queue: 'wait_line'}, snapshot.queue.waiting);
		if (snapshot.queue.acceptQueue !== null) {
			this.#queue.set({model, queue: 'accept_queue'}, snapshot.queue.acceptQueue);
		}
		this.#longestWait.set({model}, snapshot.queue.longestWaitMs / 1000);
		this.#clients.set({state: 'total'}, snapshot.clients.total);
		this.#clients.set({state: 'connected'}, snapshot.clients.connected);
		this.#clients.set({state: 'waiting'}, snapshot.clients.waiting);
		if (snapshot.host) this.#hostCpu.set(snapshot.host.cpuPercent / 100);
		// A server we only watch cannot tell its workers or its output queues.
		if (!snapshot.watch) {
			this.#busy.set({model}, snapshot.workers.busy);
			this.#outputBytes.set({model}, snapshot.queue.output.bytes);
		}
		if (processes) this.#countCpu(model, processes);

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
