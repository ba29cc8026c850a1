import {readFile} from 'node:fs/promises';
import net from 'node:net';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import {readProcess} from '../collectors/proc.js';
import {UsageError} from '../options/values.js';
import type {Environment} from './environment.js';
import {FD_HEADROOM} from './environment.js';
import type {BenchOptions} from './options.js';
import {LoadWorkers} from './processes.js';
import {Progress} from './progress.js';
import type {ScenarioResult, Skipped, Target} from './report.js';

const CLI = fileURLToPath(new URL('../../cli.js', import.meta.url));
const STARTS = 5;
const CPU_WINDOW_S = 10;

type Pty = {
	readonly pid: number;
	write(data: string): void;
	kill(signal?: string): void;
	onData(listener: (data: string) => void): void;
	onExit(listener: (event: {exitCode: number}) => void): void;
};
type PtyModule = {
	spawn(
		file: string,
		args: string[],
		options: {cols: number; rows: number; env: Record<string, string>},
	): Pty;
};

/** node-pty is a dev dependency: this scenario runs from a checkout, not from an installed package. */
type XtermModule = {
	Terminal: new (options: {cols: number; rows: number; allowProposedApi: boolean}) => {
		readonly rows: number;
		readonly buffer: {
			readonly active: {
				readonly viewportY: number;
				getLine(row: number): {translateToString(trim: boolean): string} | undefined;
			};
		};
		write(data: string, done: () => void): void;
		dispose(): void;
	};
};

/** @xterm/headless (a dev dependency) reads the screen back as a person sees it. */
async function loadXterm(): Promise<XtermModule> {
	try {
		const module = (await import('@xterm/headless')) as unknown as {
			default?: XtermModule;
		} & XtermModule;
		return module.default ?? module;
	} catch {
		throw new UsageError(NEEDS);
	}
}

/** Both are dev dependencies, not shipped: said in one line, not as a stack trace. */
const NEEDS =
	'bench --scenario dashboard needs node-pty and @xterm/headless: run it from a checkout after npm ci, or npm install node-pty @xterm/headless beside this package';

async function loadPty(): Promise<PtyModule> {
	try {
		const module = (await import('node-pty')) as unknown as {default?: PtyModule} & PtyModule;
		return module.default ?? module;
	} catch {
		throw new UsageError(NEEDS);
	}
}

/** Ink draws nothing until exit when it thinks it runs in CI: a person's terminal has no CI variable. */
function terminalEnv(): Record<string, string> {
	const env: Record<string, string> = {TERM: 'xterm-256color', LANG: 'C.UTF-8'};
	for (const [name, value] of Object.entries(process.env)) {
		if (value !== undefined && name !== 'CI' && name !== 'CONTINUOUS_INTEGRATION')
			env[name] ??= value;
	}
	return env;
}

async function freePort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const {port} = server.address() as net.AddressInfo;
	await new Promise((resolve) => server.close(resolve));
	return port;
}

type Dashboard = {
	readonly pty: Pty;
	/**
	 * When `needle` first shows on the screen; resolves with that time. The screen, not the byte
	 * stream: the dashboard writes only the cells that change, so a figure seldom comes whole.
	 */
	waitFor(needle: string | RegExp, timeoutMs: number): Promise<number>;
	stop(): Promise<void>;
};

type Terminal = InstanceType<XtermModule['Terminal']>;

/** What the terminal shows, one line per row, as a person reads it. */
function screenText(terminal: Terminal): string {
	const buffer = terminal.buffer.active;
	const lines: string[] = [];
	for (let row = 0; row < terminal.rows; row++) {
		lines.push(buffer.getLine(buffer.viewportY + row)?.translateToString(true) ?? '');
	}
	return lines.join('\n');
}

/** Resolves with the time `needle` first shows in `screen()`, checked each time `watchers` are called. */
function waitOnScreen(
	screen: () => string,
	watchers: Set<() => void>,
	needle: string | RegExp,
	timeoutMs: number,
): Promise<number> {
	return new Promise((resolve, reject) => {
		const check = () => {
			const text = screen();
			if (typeof needle === 'string' ? text.includes(needle) : needle.test(text)) {
				watchers.delete(check);
				clearTimeout(timer);
				resolve(performance.now());
			}
		};
		const timer = setTimeout(() => {
			watchers.delete(check);
			reject(new Error(`the dashboard did not show ${String(needle)} within ${timeoutMs} ms`));
		}, timeoutMs);
		watchers.add(check);
		check();
	});
}

function startDashboard(pty: PtyModule, xterm: XtermModule, port: number): Dashboard {
	// BENCH_CPU_PROF=dir profiles the dashboard too (`node --cpu-prof`; NODE_OPTIONS may not carry it).
	const profile = process.env.BENCH_CPU_PROF;
	const execArgv = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
	const child = pty.spawn(process.execPath, [...execArgv, CLI, '--port', String(port)], {
		cols: 100,
		rows: 30,
		env: terminalEnv(),
	});
	const terminal = new xterm.Terminal({cols: 100, rows: 30, allowProposedApi: true});
	const watchers = new Set<() => void>();
	child.onData((data) => {
		terminal.write(data, () => {
			for (const watcher of watchers) watcher();
		});
	});
	let exited = false;
	const exit = new Promise<void>((resolve) =>
		child.onExit(() => {
			exited = true;
			resolve();
		}),
	);
	return {
		pty: child,
		waitFor: (needle, timeoutMs) =>
			waitOnScreen(() => screenText(terminal), watchers, needle, timeoutMs),
		async stop() {
			if (exited) return;
			child.write('q');
			const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
			await exit;
			clearTimeout(timer);
			terminal.dispose();
		},
	};
}

/**
 * CPU ticks (1/100 s) of a process: user, system, and those of its children it has waited for (the
 * `ss` the collector runs), so that work it hands to short-lived children is not hidden.
 */
async function cpuTicks(pid: number): Promise<{user: number; system: number; children: number}> {
	try {
		const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		// fields[N - 3] is field N of proc(5): 14 utime, 15 stime, 16 cutime, 17 cstime.
		return {
			user: Number(fields[11]),
			system: Number(fields[12]),
			children: Number(fields[13]) + Number(fields[14]),
		};
	} catch {
		return {user: 0, system: 0, children: 0};
	}
}

/** A process's CPU over `windowS` seconds, in % of one core (ticks of 1/100 s per second), and its split. */
async function measureCpu(
	pid: number,
	windowS: number,
): Promise<{percent: number; seconds: number; split: Record<string, number>}> {
	const before = await cpuTicks(pid);
	const t0 = performance.now();
	await sleep(windowS * 1000);
	const after = await cpuTicks(pid);
	const seconds = (performance.now() - t0) / 1000;
	const share = (key: 'user' | 'system' | 'children') =>
		Math.round(((after[key] - before[key]) / seconds) * 10) / 10;
	const split = {user: share('user'), system: share('system'), children: share('children')};
	return {
		percent: Math.round((split.user + split.system + split.children) * 10) / 10,
		seconds,
		split,
	};
}

/** Fails with one line, before anything else is printed, when node-pty or @xterm/headless is missing. */
export async function checkDashboardNeeds(): Promise<void> {
	await loadPty();
	await loadXterm();
}

/** Spawn to first frame, STARTS times one after the other: the times and the target they meet or not. */
async function measureStarts(
	pty: PtyModule,
	xterm: XtermModule,
	progress: Progress,
): Promise<{target: Target; startup: Record<string, unknown>}> {
	const startsMs: number[] = [];
	for (let i = 0; i < STARTS; i++) {
		progress.step(`dashboard start ${i + 1} of ${STARTS}`);
		const spawnedAt = performance.now();
		const dashboard = startDashboard(pty, xterm, await freePort());
		try {
			startsMs.push((await dashboard.waitFor('Connections', 10_000)) - spawnedAt);
		} finally {
			await dashboard.stop();
		}
		progress.advance();
	}
	const sorted = [...startsMs].sort((a, b) => a - b);
	const medianStartMs = sorted[Math.floor(sorted.length / 2)]!;
	return {
		target: {
			name: 'dashboard: start to first frame under 0.5 s',
			met: medianStartMs < 500,
			detail: `median ${Math.round(medianStartMs)} ms of ${STARTS} starts (${sorted.map((ms) => Math.round(ms)).join(', ')} ms)`,
		},
		startup: {startsMs: startsMs.map(Math.round), medianStartMs},
	};
}

/** Opens `connections` idle clients and waits (up to 2 minutes) until each had its first reply. */
async function serveIdle(
	workers: LoadWorkers,
	port: number,
	connections: number,
): Promise<{served: number; allServedMs: number}> {
	const openedAt = performance.now();
	workers.open({host: '127.0.0.1', port, count: connections, depth: 1, size: 64, idle: true});
	let served = 0;
	const deadline = Date.now() + 120_000;
	while (Date.now() < deadline) {
		served = (await workers.ask('status')).reduce((sum, status) => sum + status.firstReplies, 0);
		if (served >= connections) break;
		await sleep(200);
	}
	return {served, allServedMs: performance.now() - openedAt};
}

/**
 * The dashboard's own CPU with `connections` idle connections on its server (against the same
 * window with none), whether it shows them, and how fast it answers a key at that point.
 */
async function measureAtScale(
	dashboard: Dashboard,
	workers: LoadWorkers,
	port: number,
	connections: number,
): Promise<{target: Target; scale: Record<string, unknown>}> {
	await dashboard.waitFor('Connections', 10_000);
	// The same window with no connection: what the dashboard costs by itself, to set the figure at 10,000 against.
	await sleep(1000);
	const empty = await measureCpu(dashboard.pty.pid, CPU_WINDOW_S);
	const {served, allServedMs} = await serveIdle(workers, port, connections);
	const onScreen = `Connections ${connections} active`;
	const shownAt = await dashboard.waitFor(onScreen, 10_000).catch(() => null);
	// Let the connect burst settle: the figure is the steady cost of watching 10,000 connections.
	await sleep(2000);
	const pid = dashboard.pty.pid;
	const rssBefore = (await readProcess(pid))?.rssBytes ?? 0;
	const loaded = await measureCpu(pid, CPU_WINDOW_S);
	const {seconds, percent} = loaded;
	const keyAt = performance.now();
	dashboard.pty.write('?');
	const answeredAt = await dashboard.waitFor(/Keys/, 5000).catch(() => null);
	const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
	const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 0);
	const scale = {
		connections,
		served,
		allServedMs: Math.round(allServedMs),
		shownOnScreen: shownAt !== null,
		dashboardCpuPercent: loaded.percent,
		cpuSplit: loaded.split,
		dashboardCpuPercentWithNoConnection: empty.percent,
		cpuSplitWithNoConnection: empty.split,
		cpuWindowS: Math.round(seconds * 10) / 10,
		dashboardRssBytes: rssBefore,
		dashboardThreads: threads,
		keyToFrameMs: answeredAt === null ? null : Math.round(answeredAt - keyAt),
	};
	const target = {
		name: `scale: async holds ${connections} idle connections, dashboard live, its CPU < 10% of one core`,
		met: served >= connections && shownAt !== null && answeredAt !== null && percent < 10,
		detail: `${served} served in ${Math.round(allServedMs)} ms, ${shownAt === null ? 'NOT shown' : 'shown'} on screen, dashboard CPU ${percent.toFixed(1)}% over ${seconds.toFixed(0)} s (${empty.percent.toFixed(1)}% with no connection), key press answered ${answeredAt === null ? 'never' : `in ${Math.round(answeredAt - keyAt)} ms`}`,
	};
	return {target, scale};
}

/**
 * The real dashboard (dist/cli.js in a pseudo-terminal): time from spawn to the first frame, then
 * its own CPU with 10,000 idle connections on its in-process async server, and how fast it answers
 * a key press at that point.
 */
export async function runDashboardScenario(
	options: BenchOptions,
	env: Environment,
): Promise<ScenarioResult & {extra: Record<string, unknown>}> {
	const pty = await loadPty();
	const xterm = await loadXterm();
	const connections = options.clients[0]!;
	const skipped: Skipped[] = [];
	const progress = new Progress(STARTS + 1, 2000);
	const starts = await measureStarts(pty, xterm, progress);
	const targets: Target[] = [starts.target];
	const extra: Record<string, unknown> = {startup: starts.startup};

	if (env.fdLimit !== null && connections + FD_HEADROOM * 2 > env.fdLimit) {
		skipped.push({
			server: 'dashboard',
			workload: 'idle',
			clients: connections,
			reason: `the dashboard would hold ${connections} fds, too close to the limit ${env.fdLimit}`,
		});
		progress.finish();
		return {rows: [], skipped, targets, extra};
	}

	progress.step(`dashboard with ${connections} idle connections`);
	const port = await freePort();
	const dashboard = startDashboard(pty, xterm, port);
	const workers = LoadWorkers.start(Math.max(options.workers, Math.ceil(connections / 9000)));
	try {
		const {target, scale} = await measureAtScale(dashboard, workers, port, connections);
		extra.scale = scale;
		targets.push(target);
		progress.advance();
	} finally {
		progress.finish();
		await dashboard.stop();
		await workers.stop();
	}
	return {rows: [], skipped, targets, extra};
}
