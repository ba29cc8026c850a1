import os from 'node:os';
import {setTimeout as sleep} from 'node:timers/promises';
import {findDescendants} from '../collectors/proc.js';
import {
	addCounts,
	countsFromPairs,
	EMPTY_SUMMARY,
	summarize,
	type HistogramParts,
	type LatencySummary,
} from '../metrics/latency.js';
import {runLoadgen, type LoadErrors, type Loadgen, type LoadgenResult} from './loadgen.js';
import type {WorkerStatus} from './messages.js';
import {
	attachTarget,
	isTutorial,
	LoadWorkers,
	startServer,
	type RunningServer,
	type ServerKind,
} from './processes.js';
import {
	cpuSecondsOf,
	hostTicks,
	listenOverflows,
	ProcSampler,
	readListenBacklog,
} from './sampler.js';
import type {Workload} from './workload.js';

/** What drives a row: the C generator (the yardstick) or the Node load workers. */
export type Load =
	| {readonly kind: 'c'; readonly loadgen: Loadgen; readonly processes: number}
	| {readonly kind: 'node'; readonly workers: LoadWorkers};

export type RowSpec = {
	readonly server: ServerKind;
	readonly workload: Workload;
	readonly clients: number;
	/** Message bytes, newline included. */
	readonly size: number;
	/** Messages in flight per client. */
	readonly depth: number;
	/** Each client's messages due this many a second, timed from when due; null: the closed loop. */
	readonly ratePerSec: number | null;
	/** A message without its reply this long counts in `errors.messageTimeouts`. */
	readonly messageTimeoutMs: number;
	readonly durationS: number;
	/** Seconds of load before the measured window (C generator). */
	readonly warmupS: number;
	/** The listen backlog of the server (the plain baseline takes its model's). */
	readonly backlog: number;
	/** For `server: 'target'`: the outside server's address. */
	readonly target?: {readonly host: string; readonly port: number};
	/** Storm scenario: busy (Node workers, a storm on a loaded server) or harsh (C: all at once). */
	readonly form?: 'busy' | 'harsh';
	/**
	 * A connect storm on a busy server (Node workers): once the row's own clients (the background
	 * load) are all served and the measurement runs, this many more clients connect at once from
	 * their own load processes, send one message each and wait. The first-reply figures are theirs.
	 */
	readonly storm?: {readonly clients: number; readonly workers: LoadWorkers};
};

const STORM_TIMEOUT_MS = 15_000;

/** The busiest load process above this share of a core: the generator, not the server, set the pace. */
export const SATURATED_PERCENT = 90;

/** The measured figures of one row, before ratios and verdicts. Times in ms, CPU in % of one core. */
export type RowFigures = {
	readonly generator: 'c' | 'node';
	readonly messagesPerSec: number;
	readonly bytesPerSec: number;
	readonly roundTrips: number;
	readonly measuredS: number;
	readonly rtt: LatencySummary;
	/** The window's round trips, bucket by bucket (metrics/latency.ts): `latency.histogram` in JSON. */
	readonly histogram: Pick<HistogramParts, 'counts'>;
	/** connect() to completed handshake, per connection (C generator only). */
	readonly connect: LatencySummary;
	/** From the moment the clients send (C) or are told to connect (Node) to each first reply. */
	readonly firstReply: LatencySummary;
	/** The last first reply; null if some client had none. */
	readonly allFirstReplyMs: number | null;
	readonly firstReplies: number;
	readonly starved: number;
	readonly errors: LoadErrors;
	readonly peakThreads: number;
	readonly peakProcesses: number;
	readonly peakRssBytes: number;
	/** Server CPU time over the measured window. */
	readonly cpuPercent: number;
	readonly cpuSeconds: number;
	/** Load processes. */
	readonly workers: number;
	/** The load processes' CPU together over the window, and the busiest one's. */
	readonly loadCpuPercent: number;
	readonly loadCpuMaxPercent: number;
	/** The busiest load process used ≥ SATURATED_PERCENT of a core: the row measures the generator. */
	readonly generatorSaturated: boolean;
	/** The whole machine's CPU over the window, in % of all cores: near 100 means no core was idle. */
	readonly hostCpuPercent: number | null;
	/** Connects the kernel dropped on a full accept queue during the row (namespace-wide; null if unknown). */
	readonly listenOverflows: number | null;
	/** The server's listen backlog as the kernel holds it (`ss`); null if unknown. */
	readonly backlog: number | null;
};

const SAMPLE_MS = 250;
const SETTLE_STEP_MS = 200;
const SETTLE_MAX_MS = 5000;

/**
 * Waits until the server's process tree is idle (under 10% of a core over 200 ms; at most 5 s): a
 * server is measured as its clients meet it, started and not still starting (a model that keeps
 * threads ready has had the moment to start them).
 */
async function settle(pid: number): Promise<void> {
	const deadline = Date.now() + SETTLE_MAX_MS;
	const tree = async () => cpuSecondsOf([pid, ...(await findDescendants(pid))]);
	let before = await tree();
	while (Date.now() < deadline) {
		await sleep(SETTLE_STEP_MS);
		const now = await tree();
		if (now - before < 0.1 * (SETTLE_STEP_MS / 1000)) return;
		before = now;
	}
}
const POLL_MS = 50;

const total = (statuses: readonly WorkerStatus[], key: 'firstReplies' | 'clients' | 'messages') =>
	statuses.reduce((sum, status) => sum + status[key], 0);

/** /proc around the measured window: the server tree's CPU and peaks, the host's CPU, overflows. */
class Watch {
	readonly sampler: ProcSampler;
	#host: {busy: number; total: number} | null = null;
	#overflows: number | null = null;
	#started = 0;

	constructor(pid: number) {
		this.sampler = new ProcSampler(pid);
	}

	async begin(): Promise<void> {
		await this.sampler.sample();
		this.sampler.start(SAMPLE_MS);
		this.#overflows = await listenOverflows();
	}

	async markStart(): Promise<void> {
		this.#host = await hostTicks();
		await this.sampler.markStart();
		this.#started = performance.now();
	}

	/** The window's server CPU, host CPU and length, and the overflows since `begin`. */
	async markEnd() {
		const cpuSeconds = await this.sampler.markEnd();
		const host = await hostTicks();
		const overflows = await listenOverflows();
		const elapsedS = (performance.now() - this.#started) / 1000;
		await this.sampler.stop();
		const before = this.#host;
		return {
			cpuSeconds,
			elapsedS,
			hostCpuPercent:
				before && host && host.total > before.total
					? (100 * (host.busy - before.busy)) / (host.total - before.total)
					: null,
			listenOverflows:
				this.#overflows === null || overflows === null ? null : overflows - this.#overflows,
			peaks: this.sampler.peaks,
		};
	}
}

type WindowFigures = Awaited<ReturnType<Watch['markEnd']>>;

function serverFigures(window: WindowFigures) {
	return {
		peakThreads: window.peaks.threads,
		peakProcesses: window.peaks.processes,
		peakRssBytes: window.peaks.rssBytes,
		cpuPercent: (100 * window.cpuSeconds) / window.elapsedS,
		cpuSeconds: window.cpuSeconds,
		hostCpuPercent: window.hostCpuPercent,
		listenOverflows: window.listenOverflows,
	};
}

/**
 * One row: a fresh server process (the plain one with the backlog of its model), loaded by the C
 * generator or the Node workers, /proc sampled all along.
 */
export async function runRow(spec: RowSpec, load: Load): Promise<RowFigures> {
	const server =
		spec.server === 'target'
			? await attachTarget(spec.target!)
			: await startServer(spec.server, spec.workload, spec.backlog);
	try {
		await settle(server.pid);
		const backlog = await readListenBacklog(server.port);
		const figures =
			load.kind === 'c'
				? await driveC(spec, server, load.loadgen, load.processes)
				: await driveNode(spec, server, load.workers);
		return {...figures, backlog};
	} finally {
		await server.stop();
	}
}

/**
 * The C generator: all connections open, then all send at once and keep echoing; the window starts
 * after the warm-up. When its busiest process was saturated, the row runs again with one more load
 * process, up to one per core: as many as needed, as far as the machine allows.
 */
async function driveC(
	spec: RowSpec,
	server: RunningServer,
	loadgen: Loadgen,
	processes: number,
): Promise<Omit<RowFigures, 'backlog'>> {
	const cores = os.availableParallelism();
	for (let count = processes; ; count++) {
		const watch = new Watch(server.pid);
		await watch.begin();
		let started: Promise<void> | undefined;
		const result = await runLoadgen(loadgen, {
			host: server.host,
			port: server.port,
			connections: spec.clients,
			processes: Math.min(count, spec.clients),
			size: spec.size,
			depth: spec.depth,
			ratePerSec: spec.ratePerSec,
			messageTimeoutMs: spec.messageTimeoutMs,
			warmupS: spec.warmupS,
			durationS: spec.durationS,
			// Time for every first reply: a model that starves clients should not hold a row for long,
			// but a storm of a thousand may take seconds to be answered, and that is what it measures.
			// The tutorial's listen(5) drops SYNs at a burst: its clients connect only with the kernel's
			// retries (1, 3, 7, 15 s), 14-15 s for 100 clients.
			timeoutS: isTutorial(spec.server)
				? 40
				: spec.clients >= 1000
					? 15
					: Math.max(3, spec.warmupS + spec.durationS),
			onGo() {
				started = sleep(spec.warmupS * 1000).then(() => watch.markStart());
			},
		});
		await started;
		const window = await watch.markEnd();
		const figures = fromLoadgen(result, window, spec.clients);
		if (!figures.generatorSaturated || count >= cores || count >= spec.clients) return figures;
		// Let the server close the last run's connections before the next.
		await sleep(200);
	}
}

function fromLoadgen(
	result: LoadgenResult,
	window: WindowFigures,
	clients: number,
): Omit<RowFigures, 'backlog'> {
	const starved = clients - result.firstReplies;
	return {
		generator: 'c',
		messagesPerSec: result.messagesPerSec,
		bytesPerSec: result.bytesPerSec,
		roundTrips: result.messages,
		measuredS: window.elapsedS,
		rtt: result.rtt ?? EMPTY_SUMMARY,
		histogram: countsFromPairs(result.rtt?.buckets ?? []),
		connect: result.connect ?? EMPTY_SUMMARY,
		firstReply: result.firstReply ?? EMPTY_SUMMARY,
		allFirstReplyMs: starved > 0 ? null : (result.firstReply?.maxMs ?? null),
		firstReplies: result.firstReplies,
		starved,
		errors: result.errors,
		...serverFigures(window),
		workers: result.processes,
		loadCpuPercent: result.cpuPercentTotal,
		loadCpuMaxPercent: result.cpuPercentMax,
		generatorSaturated: result.cpuPercentMax >= SATURATED_PERCENT,
	};
}

/** Waits until every client had its first reply, or up to the row's duration (at least 3 s). */
async function awaitFirstReplies(spec: RowSpec, workers: LoadWorkers): Promise<void> {
	const firstReplyDeadline = Date.now() + Math.max(3, spec.durationS) * 1000;
	while (Date.now() < firstReplyDeadline) {
		if (total(await workers.ask('status'), 'firstReplies') >= spec.clients) break;
		await sleep(POLL_MS);
	}
}

/** The row's figures from the load workers' reports (and the storm's, if any) over `window`. */
function fromNodeWorkers(
	spec: RowSpec,
	statuses: readonly WorkerStatus[],
	storm: Awaited<ReturnType<typeof runStorm>> | null,
	window: WindowFigures,
	load: {percent: number; workers: number},
): Omit<RowFigures, 'backlog'> {
	const expected = spec.storm ? spec.storm.clients : spec.clients;
	const firstReplies = storm ? storm.firstReplies : total(statuses, 'firstReplies');
	const lastFirstReply = storm
		? storm.lastFirstReplyMs
		: Math.max(...statuses.map((status) => status.lastFirstReplyMs ?? 0));
	const roundTrips = total(statuses, 'messages');
	const measuredS = Math.max(...statuses.map((status) => status.seconds), window.elapsedS);
	const errors = addErrors(statuses.map((status) => status.errors));
	return {
		generator: 'node',
		messagesPerSec: roundTrips / measuredS,
		bytesPerSec: (roundTrips * spec.size) / measuredS,
		roundTrips,
		measuredS,
		rtt: summarize(statuses),
		histogram: addCounts(statuses),
		connect: EMPTY_SUMMARY,
		firstReply: EMPTY_SUMMARY,
		allFirstReplyMs: firstReplies < expected ? null : lastFirstReply,
		firstReplies,
		starved: expected - firstReplies,
		errors: {...errors, timeouts: errors.timeouts + expected - firstReplies},
		...serverFigures(window),
		workers: load.workers,
		loadCpuPercent: load.percent,
		loadCpuMaxPercent: load.percent,
		generatorSaturated: load.percent >= SATURATED_PERCENT * load.workers,
	};
}

/**
 * The Node load workers: the clients opened all at once, a wait for every first reply (up to the
 * row's duration, at least 3 s), then `durationS` of measurement; with a storm, the storm's clients
 * connect half a second into the window.
 */
async function driveNode(
	spec: RowSpec,
	server: RunningServer,
	workers: LoadWorkers,
): Promise<Omit<RowFigures, 'backlog'>> {
	const watch = new Watch(server.pid);
	try {
		await watch.begin();
		workers.open({
			host: server.host,
			port: server.port,
			count: spec.clients,
			depth: spec.depth,
			size: spec.size,
			idle: false,
			ratePerSec: spec.ratePerSec,
			messageTimeoutMs: spec.messageTimeoutMs,
		});
		await awaitFirstReplies(spec, workers);
		workers.measure();
		const loadBefore = await cpuSecondsOf(workers.pids);
		await watch.markStart();
		const started = performance.now();
		const storm = spec.storm ? await runStorm(spec, spec.storm, server) : null;
		await sleep(Math.max(0, spec.durationS * 1000 - (performance.now() - started)));
		const statuses = await workers.ask('collect');
		const window = await watch.markEnd();
		const loadPercent = (100 * ((await cpuSecondsOf(workers.pids)) - loadBefore)) / window.elapsedS;
		return fromNodeWorkers(spec, statuses, storm, window, {
			percent: loadPercent,
			workers: workers.size,
		});
	} finally {
		await watch.sampler.stop();
		await Promise.all([workers.close(), spec.storm?.workers.close()]);
	}
}

function addErrors(parts: readonly LoadErrors[]): LoadErrors {
	const sum = (key: keyof LoadErrors) => parts.reduce((total, part) => total + part[key], 0);
	return {
		refused: sum('refused'),
		resets: sum('resets'),
		closed: sum('closed'),
		timeouts: sum('timeouts'),
		other: sum('other'),
		messageTimeouts: sum('messageTimeouts'),
	};
}

async function runStorm(
	spec: RowSpec,
	storm: NonNullable<RowSpec['storm']>,
	server: RunningServer,
): Promise<{firstReplies: number; lastFirstReplyMs: number | null}> {
	// Let the background load run a moment first, so the storm meets a busy server.
	await sleep(Math.min(500, (spec.durationS * 1000) / 4));
	storm.workers.open({
		host: server.host,
		port: server.port,
		count: storm.clients,
		depth: 1,
		size: spec.size,
		idle: true,
	});
	const deadline = Date.now() + STORM_TIMEOUT_MS;
	let statuses: WorkerStatus[] = [];
	while (Date.now() < deadline) {
		statuses = await storm.workers.ask('status');
		if (total(statuses, 'firstReplies') >= storm.clients) break;
		await sleep(POLL_MS / 5);
	}
	return {
		firstReplies: total(statuses, 'firstReplies'),
		lastFirstReplyMs: Math.max(...statuses.map((status) => status.lastFirstReplyMs ?? 0)),
	};
}

/**
 * Memory per connection: the server tree's RSS with `clients` idle connections (each served once)
 * minus its RSS with none, divided by `clients`.
 */
export async function measureMemory(
	server: Exclude<ServerKind, 'target'>,
	workload: Workload,
	clients: number,
	workers: LoadWorkers,
): Promise<{
	baseRssBytes: number;
	loadedRssBytes: number;
	bytesPerConnection: number;
	served: number;
}> {
	const running = await startServer(server, workload);
	const sampler = new ProcSampler(running.pid);
	try {
		// RSS moves with the garbage collector: the median of a few readings is steadier than one.
		const steadyRss = async () => {
			const readings: number[] = [];
			for (let i = 0; i < 5; i++) {
				readings.push(await sampler.sample());
				await sleep(150);
			}
			return readings.sort((a, b) => a - b)[2]!;
		};
		await sleep(300);
		const baseRssBytes = await steadyRss();
		workers.open({
			host: '127.0.0.1',
			port: running.port,
			count: clients,
			depth: 1,
			size: 64,
			idle: true,
		});
		const deadline = Date.now() + 10_000;
		let served = 0;
		while (Date.now() < deadline) {
			served = total(await workers.ask('status'), 'firstReplies');
			if (served >= clients) break;
			await sleep(POLL_MS);
		}
		await sleep(300);
		const loadedRssBytes = await steadyRss();
		return {
			baseRssBytes,
			loadedRssBytes,
			bytesPerConnection: (loadedRssBytes - baseRssBytes) / clients,
			served,
		};
	} finally {
		await workers.close();
		await running.stop();
	}
}
