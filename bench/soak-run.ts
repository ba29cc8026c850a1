/**
 * The soak: clients connect and disconnect continuously (some politely, some half-closing, some
 * resetting mid-write) while the server switches model every few seconds, through all eight. The
 * figures that must come back at the end: OS threads, child processes, open fds and RSS.
 * Used by test/soak.test.ts (about a minute) and bench/soak.ts (ten minutes).
 */
import {readdirSync, readFileSync} from 'node:fs';
import net from 'node:net';
import {setFlagsFromString} from 'node:v8';
import {runInNewContext} from 'node:vm';
import {MetricsStore} from '../source/metrics/store.js';
import {EchoServer} from '../source/server/echo-server.js';
import {MODE_NAMES} from '../source/server/mode.js';

export type Figures = {
	readonly threads: number;
	readonly processes: number;
	readonly fds: number;
	readonly rssBytes: number;
	/** V8 heap in use: if RSS grows and this does not, the growth is the allocator keeping pages. */
	readonly heapBytes: number;
};

export type SoakResult = {
	readonly start: Figures;
	readonly end: Figures;
	readonly peak: Figures;
	readonly switches: number;
	readonly connections: number;
	readonly echoedBytes: number;
	/** Replies that were not a prefix of what was sent: must be 0. */
	readonly corrupt: number;
	readonly seconds: number;
};

export type SoakOptions = {
	readonly durationMs: number;
	readonly switchMs: number;
	/** Clients at once. */
	readonly clients: number;
	readonly log?: (line: string) => void;
};

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function children(): number {
	let count = 0;
	for (const task of readdirSync('/proc/self/task')) {
		try {
			const text = readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim();
			if (text) count += text.split(/\s+/).length;
		} catch {
			// The thread ended while we read.
		}
	}
	return count;
}

export function measure(): Figures {
	const status = readFileSync('/proc/self/status', 'utf8');
	return {
		threads: readdirSync('/proc/self/task').length,
		processes: children(),
		fds: readdirSync('/proc/self/fd').length,
		rssBytes: Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024,
		heapBytes: process.memoryUsage().heapUsed,
	};
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const counts = ({threads, processes, fds}: Figures) => `${threads} ${processes} ${fds}`;

/**
 * Waits until the threads, child processes and fds have held still for 1.5 s (read every 250 ms,
 * for at most 15 s: a switch's short-lived helper, a child or a thread still ending, under load
 * too), collects garbage twice, and measures. What stays is still counted.
 */
async function settledFigures(): Promise<Figures> {
	const deadline = Date.now() + 15_000;
	let last = counts(measure());
	let still = 0;
	while (still < 6 && Date.now() < deadline) {
		await sleep(250);
		const now = counts(measure());
		still = now === last ? still + 1 : 0;
		last = now;
	}
	gc();
	await sleep(200);
	gc();
	return measure();
}

type Counters = {connections: number; echoedBytes: number; corrupt: number};

/** One client's life: connect, send a few lines, then leave in one of four ways. */
async function clientLife(port: number, counters: Counters, n: number): Promise<void> {
	const socket = net.connect({host: '127.0.0.1', port});
	socket.on('error', () => {});
	const sent: Buffer[] = [];
	let received = Buffer.alloc(0);
	socket.on('data', (chunk: Buffer) => {
		received = Buffer.concat([received, chunk]);
	});
	const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
	const connected = await Promise.race([
		new Promise<boolean>((resolve) => socket.once('connect', () => resolve(true))),
		closed.then(() => false),
		sleep(3000).then(() => false),
	]);
	if (connected) counters.connections++;
	else await sleep(50);
	const way = n % 4;
	for (let i = 0; connected && i < 5 && !socket.destroyed; i++) {
		const line = Buffer.from(`soak ${n} ${i} \x1b[31m\xff\n`, 'latin1');
		sent.push(line);
		socket.write(line);
		if (way === 3 && i === 2) break;
		await sleep(20 + (n % 7) * 10);
	}
	if (way === 0) socket.end();
	else if (way === 1) {
		socket.end();
		await Promise.race([closed, sleep(500)]);
	} else if (way === 2) await sleep(100);
	socket.destroy();
	await closed;
	const all = Buffer.concat(sent);
	if (!all.subarray(0, received.length).equals(received)) counters.corrupt++;
	counters.echoedBytes += received.length;
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
	const log = options.log ?? (() => {});
	const store = new MetricsStore({host: '127.0.0.1', port: 0, handler: 'echo'});
	const host = new EchoServer({host: '127.0.0.1', port: 0, handler: 'echo'}, (event) =>
		store.apply(event),
	);
	const counters: Counters = {connections: 0, echoedBytes: 0, corrupt: 0};
	let peak: Figures | undefined;
	let switches = 0;
	let index = MODE_NAMES.indexOf('async');
	let n = 0;
	const began = Date.now();

	/** Clients come and go while the model switches every switchMs, for `ms`; then all is back on async. */
	const churn = async (ms: number) => {
		const deadline = Date.now() + ms;
		let running = true;
		const lanes = Array.from({length: options.clients}, async () => {
			while (running) await clientLife(host.port, counters, n++);
		});
		while (Date.now() < deadline) {
			await sleep(Math.min(options.switchMs, Math.max(0, deadline - Date.now())));
			if (Date.now() >= deadline) break;
			index = (index + 1) % MODE_NAMES.length;
			await host.start(MODE_NAMES[index]!);
			store.snapshot({offset: 0, limit: 20});
			switches++;
			const now = measure();
			if (peak) {
				peak = {
					threads: Math.max(peak.threads, now.threads),
					processes: Math.max(peak.processes, now.processes),
					fds: Math.max(peak.fds, now.fds),
					rssBytes: Math.max(peak.rssBytes, now.rssBytes),
					heapBytes: Math.max(peak.heapBytes, now.heapBytes),
				};
			}
			log(
				`${Math.round((Date.now() - began) / 1000)}s ${MODE_NAMES[index]} ${JSON.stringify(now)} connections ${counters.connections}`,
			);
		}
		running = false;
		await Promise.all(lanes);
		index = MODE_NAMES.indexOf('async');
		await host.start('async');
		// Its accept handles, duplicated by a short-lived child (server/acceptor.ts) that may take
		// seconds to start on a loaded machine: until then one child and 62 fds fewer.
		await host.accepting();
	};

	// Warm up with one round through every model under the same churn: lazily loaded modules,
	// libuv's thread pool and the allocator's arenas are then part of the start figures.
	await host.start('async');
	await churn(options.switchMs * (MODE_NAMES.length + 1));
	const start = await settledFigures();
	peak = start;
	log(`start ${JSON.stringify(start)}`);
	const measuredFrom = Date.now();
	await churn(options.durationMs);
	const end = await settledFigures();
	log(`end ${JSON.stringify(end)}`);
	await host.stop();
	return {
		start,
		end,
		peak,
		switches,
		...counters,
		seconds: (Date.now() - measuredFrom) / 1000,
	};
}
