import {setTimeout as sleep} from 'node:timers/promises';
import {summarize, type LatencySummary} from './histogram.js';
import type {WorkerStatus} from './messages.js';
import {LoadWorkers, startServer, type ServerKind} from './processes.js';
import {cpuSecondsOf, hostTicks, listenOverflows, ProcSampler} from './sampler.js';
import type {Workload} from './workload.js';

export type RowSpec = {
	readonly server: ServerKind;
	readonly workload: Workload;
	readonly clients: number;
	/** Message bytes, newline included. */
	readonly size: number;
	/** Messages in flight per client. */
	readonly depth: number;
	readonly durationS: number;
	/**
	 * A connect storm: once the row's own clients (the background load) are all served and the
	 * measurement runs, this many more clients connect at once from their own load processes, send
	 * one message each and wait. The row's first-reply figures are then the storm's.
	 */
	readonly storm?: {readonly clients: number; readonly workers: LoadWorkers};
};

const STORM_TIMEOUT_MS = 15_000;

/** The measured figures of one row, before ratios and verdicts. */
export type RowFigures = {
	readonly messagesPerSec: number;
	readonly roundTrips: number;
	readonly measuredS: number;
	readonly rtt: LatencySummary | null;
	/** From the moment the clients were told to connect until the last first reply; null if some had none. */
	readonly allFirstReplyMs: number | null;
	readonly firstReplies: number;
	readonly starved: number;
	readonly peakThreads: number;
	readonly peakProcesses: number;
	readonly peakRssBytes: number;
	/** Server CPU time over the measured window, in % of one core. */
	readonly cpuPercent: number;
	readonly cpuSeconds: number;
	readonly workers: number;
	/** The load workers' CPU over the same window, in % of one core. */
	readonly loadCpuPercent: number;
	/** The whole machine's CPU over the window, in % of all cores: near 100 means no core was idle. */
	readonly hostCpuPercent: number | null;
	/** Connects the kernel dropped on a full accept queue during the row (namespace-wide; null if unknown). */
	readonly listenOverflows: number | null;
};

const SAMPLE_MS = 250;
const POLL_MS = 50;

const total = (statuses: readonly WorkerStatus[], key: 'firstReplies' | 'clients' | 'messages') =>
	statuses.reduce((sum, status) => sum + status[key], 0);

/**
 * One row: a fresh server process, the clients opened all at once, a wait for every first reply (up
 * to the row's duration, at least 3 s), then `durationS` of measurement; /proc sampled all along.
 */
export async function runRow(spec: RowSpec, workers: LoadWorkers): Promise<RowFigures> {
	const server = await startServer(spec.server, spec.workload);
	const sampler = new ProcSampler(server.pid);
	try {
		await sampler.sample();
		sampler.start(SAMPLE_MS);
		const overflowsBefore = await listenOverflows();
		workers.open({
			host: '127.0.0.1',
			port: server.port,
			count: spec.clients,
			depth: spec.depth,
			size: spec.size,
			idle: false,
		});
		const firstReplyDeadline = Date.now() + Math.max(3, spec.durationS) * 1000;
		while (Date.now() < firstReplyDeadline) {
			if (total(await workers.ask('status'), 'firstReplies') >= spec.clients) break;
			await sleep(POLL_MS);
		}
		workers.measure();
		const loadBefore = await cpuSecondsOf(workers.pids);
		const hostBefore = await hostTicks();
		await sampler.markStart();
		const started = performance.now();
		let storm: {firstReplies: number; lastFirstReplyMs: number | null} | null = null;
		if (spec.storm) {
			// Let the background load run a moment first, so the storm meets a busy server.
			await sleep(Math.min(500, (spec.durationS * 1000) / 4));
			spec.storm.workers.open({
				host: '127.0.0.1',
				port: server.port,
				count: spec.storm.clients,
				depth: 1,
				size: spec.size,
				idle: true,
			});
			const deadline = Date.now() + STORM_TIMEOUT_MS;
			let statuses: WorkerStatus[] = [];
			while (Date.now() < deadline) {
				statuses = await spec.storm.workers.ask('status');
				if (total(statuses, 'firstReplies') >= spec.storm.clients) break;
				await sleep(POLL_MS / 5);
			}
			storm = {
				firstReplies: total(statuses, 'firstReplies'),
				lastFirstReplyMs: Math.max(...statuses.map((status) => status.lastFirstReplyMs ?? 0)),
			};
		}
		await sleep(Math.max(0, spec.durationS * 1000 - (performance.now() - started)));
		const statuses = await workers.ask('collect');
		const cpuSeconds = await sampler.markEnd();
		const loadSeconds = (await cpuSecondsOf(workers.pids)) - loadBefore;
		const hostAfter = await hostTicks();
		const overflowsAfter = await listenOverflows();
		const elapsedS = (performance.now() - started) / 1000;
		await sampler.stop();
		const expected = spec.storm ? spec.storm.clients : spec.clients;
		const firstReplies = storm ? storm.firstReplies : total(statuses, 'firstReplies');
		const roundTrips = total(statuses, 'messages');
		const measuredS = Math.max(...statuses.map((status) => status.seconds), elapsedS);
		const peaks = sampler.peaks;
		return {
			messagesPerSec: roundTrips / measuredS,
			roundTrips,
			measuredS,
			rtt: summarize(statuses),
			allFirstReplyMs:
				firstReplies < expected
					? null
					: storm
						? storm.lastFirstReplyMs
						: Math.max(...statuses.map((status) => status.lastFirstReplyMs ?? 0)),
			firstReplies,
			starved: expected - firstReplies,
			peakThreads: peaks.threads,
			peakProcesses: peaks.processes,
			peakRssBytes: peaks.rssBytes,
			cpuPercent: (100 * cpuSeconds) / elapsedS,
			cpuSeconds,
			workers: workers.size,
			loadCpuPercent: (100 * loadSeconds) / elapsedS,
			hostCpuPercent:
				hostBefore && hostAfter && hostAfter.total > hostBefore.total
					? (100 * (hostAfter.busy - hostBefore.busy)) / (hostAfter.total - hostBefore.total)
					: null,
			listenOverflows:
				overflowsBefore === null || overflowsAfter === null
					? null
					: overflowsAfter - overflowsBefore,
		};
	} finally {
		await sampler.stop();
		await Promise.all([workers.close(), spec.storm?.workers.close()]);
		await server.stop();
	}
}

/**
 * Memory per connection: the server tree's RSS with `clients` idle connections (each served once)
 * minus its RSS with none, divided by `clients`.
 */
export async function measureMemory(
	server: ServerKind,
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
