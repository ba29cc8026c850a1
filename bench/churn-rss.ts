/**
 * RSS of the server before, during and after a storm of clients that connect, send a line and reset:
 * idle, the peak during the churn, then 1, 3, 5 and 10 s after it stops; in each model and in both
 * placements (the server in a process of its own, and in-process: the server in a host process that
 * stands for the dashboard's). The whole process tree, from /proc/<pid>/status VmRSS.
 *
 *   npm run build && node dist/bench/churn-rss.js [placements=worker,in-process] [modes=all] [churn s=5] [warm-up s=0]
 *
 * With a warm-up, idle is taken after that much of the same churn and 5 s of quiet: the first
 * connections compile the server's code paths and fault in pages of the node binary, which stay.
 */
import {fork} from 'node:child_process';
import {once} from 'node:events';
import {readFileSync} from 'node:fs';
import net from 'node:net';
import {fileURLToPath} from 'node:url';
import type {ServerEvent} from '../source/server/protocol.js';
import {MODE_NAMES, type ModeName} from '../source/server/mode.js';
import {createRunner, processTree, type ServerRunner} from '../source/server/runner.js';
import {DEFAULT_SETTINGS} from '../source/server/settings.js';
import {SPARE_THREADS} from '../source/server/modes/thread.js';
import type {Placement} from '../source/server/protocol.js';

const MB = 2 ** 20;
export const AFTER_S = [1, 3, 5, 10] as const;

/** VmRSS of `pid` and every process below it. */
export function treeRss(pid: number): number {
	let total = 0;
	for (const each of processTree(pid)) {
		try {
			const status = readFileSync(`/proc/${each}/status`, 'utf8');
			total += Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
		} catch {
			// Gone while we read.
		}
	}
	return total;
}

/** Opens connections that send a line and reset, `parallel` at a time, for `ms`; returns how many. */
export async function churn(port: number, ms: number, parallel: number): Promise<number> {
	let count = 0;
	const end = Date.now() + ms;
	const one = () =>
		new Promise<void>((resolve) => {
			const socket = net.connect({host: '127.0.0.1', port});
			socket.on('error', () => {});
			socket.once('close', () => resolve());
			socket.once('connect', () => {
				count++;
				socket.write('x\n');
				setTimeout(() => socket.resetAndDestroy(), Math.random() * 20);
			});
		});
	await Promise.all(
		Array.from({length: parallel}, async () => {
			while (Date.now() < end) await one();
		}),
	);
	return count;
}

type Server = {readonly port: number; readonly pid: number; stop(): Promise<void>};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function sparesUp(mode: ModeName, workersUp: () => number): Promise<void> {
	const deadline = Date.now() + 30_000;
	while (mode === 'thread' && Date.now() < deadline) {
		if (workersUp() >= SPARE_THREADS) return;
		await sleep(50);
	}
}

async function startRunner(placement: Placement, mode: ModeName): Promise<ServerRunner> {
	/** Only counted: a host that kept every event would grow with the churn it measures. */
	let workersUp = 0;
	const runner = createRunner(
		placement,
		{host: '127.0.0.1', port: 0, handler: 'echo'},
		() => ({...DEFAULT_SETTINGS, poolSize: 4}),
		{
			emit: (event: ServerEvent) => {
				if (event.type === 'worker-up') workersUp++;
			},
			onCrash: () => {},
		},
	);
	await runner.start(mode);
	await sparesUp(mode, () => workersUp);
	return runner;
}

/** In-process placement: the server shares a host process of its own, as it shares the dashboard's. */
async function startHost(mode: ModeName): Promise<Server> {
	const host = fork(fileURLToPath(import.meta.url), ['host', mode], {
		execArgv: [],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	const [port] = (await once(host, 'message')) as [number];
	return {
		port,
		pid: host.pid!,
		async stop() {
			host.kill('SIGTERM');
			if (host.exitCode === null && host.signalCode === null) await once(host, 'exit');
		},
	};
}

export async function startServer(placement: Placement, mode: ModeName): Promise<Server> {
	if (placement === 'in-process') return startHost(mode);
	const runner = await startRunner(placement, mode);
	return {port: runner.port, pid: runner.pid!, stop: () => runner.stop()};
}

export type ChurnRss = {
	readonly idle: number;
	readonly peak: number;
	/** RSS 1, 3, 5 and 10 s after the churn stopped. */
	readonly after: readonly number[];
	readonly connections: number;
};

/** Idle RSS, the peak during `churnMs` of churn, and RSS at each of AFTER_S after it. */
export async function churnRss(server: Server, churnMs: number, warmUpMs = 0): Promise<ChurnRss> {
	if (warmUpMs > 0) {
		await churn(server.port, warmUpMs, 30);
		await sleep(5000);
	}
	await sleep(1000);
	const idle = treeRss(server.pid);
	let peak = idle;
	const sampler = setInterval(() => {
		peak = Math.max(peak, treeRss(server.pid));
	}, 200);
	const connections = await churn(server.port, churnMs, 30);
	clearInterval(sampler);
	const stoppedAt = Date.now();
	const after: number[] = [];
	for (const seconds of AFTER_S) {
		await sleep(stoppedAt + seconds * 1000 - Date.now());
		after.push(treeRss(server.pid));
	}
	return {idle, peak, after, connections};
}

async function host(mode: ModeName): Promise<void> {
	const runner = await startRunner('in-process', mode);
	process.send!(runner.port);
	process.once('SIGTERM', () => void runner.stop().finally(() => process.exit(0)));
}

async function main(): Promise<void> {
	const placements = (process.argv[2] ?? 'worker,in-process').split(',') as Placement[];
	const modes = (
		process.argv[3] && process.argv[3] !== 'all' ? process.argv[3].split(',') : MODE_NAMES
	) as ModeName[];
	const churnMs = Number(process.argv[4] ?? 5) * 1000;
	const warmUpMs = Number(process.argv[5] ?? 0) * 1000;
	const mb = (bytes: number) => (bytes / MB).toFixed(0).padStart(5);
	console.log(
		`placement   model       conns  idle  peak ${AFTER_S.map((s) => `${s}s`.padStart(5)).join(' ')}  5s/idle`,
	);
	for (const placement of placements) {
		for (const mode of modes) {
			const server = await startServer(placement, mode);
			try {
				const result = await churnRss(server, churnMs, warmUpMs);
				const at5 = result.after[AFTER_S.indexOf(5)]!;
				console.log(
					`${placement.padEnd(11)} ${mode.padEnd(10)} ${String(result.connections).padStart(6)} ${mb(result.idle)} ${mb(result.peak)} ${result.after.map(mb).join(' ')}  ${(at5 / result.idle).toFixed(2)}`,
				);
			} finally {
				await server.stop();
			}
		}
	}
}

if (process.argv[2] === 'host') await host(process.argv[3] as ModeName);
else if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
