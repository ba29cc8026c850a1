import {Text} from '#ink';
import {formatBytes} from '../../shared/format.js';
import type {ProcessFigures, Snapshot} from '../../metrics/snapshot.js';
import {useGlyphs} from '../glyphs.js';
import {Figure, Panel} from '../panel.js';
import {processTotals} from '../../collectors/figures.js';
import {activitySummary, type ActivityKind} from '../../collectors/thread-activity.js';

export type ConcurrencyPanelProps = {
	readonly server: Snapshot['server'];
	readonly workers: Snapshot['workers'];
	readonly os: Snapshot['os'];
	readonly width: number;
};

/** Threads and processes of the server: the kernel's counts from /proc, and the model's own workers. */
/**
 * Busy of live worker threads; while a resized pool converges, the live count, the target and the
 * difference: threads beyond the target end when their connection does (`12 → 8, 4 retiring`).
 * Compacted to fit the narrow side panel of an 80-column terminal.
 */
function workerThreads(
	server: Snapshot['server'],
	workers: Snapshot['workers'],
	arrow: string,
	inner: number,
): {label: string; value: string} {
	const target = server.mode === 'pool' ? server.settings.poolSize : workers.threads;
	if (workers.threads === target)
		return {label: 'worker thr', value: target === 0 ? '0' : `${workers.busy}/${target} busy`};
	const change =
		workers.threads > target
			? `${workers.threads - target} retiring`
			: `${target - workers.threads} starting`;
	const value = `${workers.threads} ${arrow} ${target}, ${change}`;
	const label = 'pool';
	// Shorter forms for the narrow side panel, down to the two counts alone.
	const fits = [value, `${workers.threads}${arrow}${target} ${change}`].find(
		(text) => label.length + 1 + text.length <= inner,
	);
	return {label, value: fits ?? `${workers.threads}${arrow}${target}`};
}

export function ConcurrencyPanel({server, workers, os, width}: ConcurrencyPanelProps) {
	const glyphs = useGlyphs();
	const inner = width - 2;
	const placement = {'in-process': 'in-proc', worker: 'own proc', watched: 'watched'}[
		server.placement
	];
	if (server.pid === null) {
		return (
			<Panel title="Concurrency" width={width}>
				<Text color="red" wrap="truncate">
					server process down
				</Text>
				<Text dimColor wrap="truncate">
					R restarts it
				</Text>
			</Panel>
		);
	}
	const serverValue = `${server.pid} ${placement}`;
	// A seven-digit pid in its own process does not fit beside "server" in an 80-column window.
	const serverLabel = 'server'.length + 1 + serverValue.length <= inner ? 'server' : 'pid';
	const processes = os?.processes ?? [];
	const {threads, rssBytes: rss, cpuPercent: cpu, cpuKnown} = processTotals(processes);
	const known = os !== null && processes.length > 0;
	const waits = activities(processes);
	const processValue = known
		? processCount(processes.length, os?.zombies?.length ?? 0, inner)
		: '-';
	const rssCpu = (
		<Figure
			label="rss cpu"
			value={known ? `${formatBytes(rss)} ${cpuKnown ? `${Math.round(cpu)}%` : '-'}` : '-'}
			width={inner}
		/>
	);
	const models =
		server.mode === 'cluster' && server.accept ? (
			<Figure label="accept" value={clusterAccept(server.accept, inner)} width={inner} />
		) : (
			<Figure {...workerThreads(server, workers, glyphs.arrow, inner)} width={inner} />
		);
	const head = server.notRespondingMs ? (
		<Text color="red" wrap="truncate">
			{notResponding(server.notRespondingMs, inner)}
		</Text>
	) : (
		<Figure label={serverLabel} value={serverValue} width={inner} />
	);
	// Our own models with their threads read: the OS threads and processes share a line, so the
	// model's workers and what the threads are blocked in (`3 recv 1 poll 7 lock`) both show.
	if (server.placement !== 'watched' && processes.some((process) => process.tasks)) {
		return (
			<Panel title="Concurrency" width={width}>
				{head}
				<Figure
					label="OS thr/procs"
					value={known ? `${threads ?? 'n/a'}/${processValue}` : '-'}
					width={inner}
				/>
				{models}
				{waits ? (
					<Text wrap="truncate">{activitySummary(waits, inner)}</Text>
				) : (
					<Figure label="run/sleep/blk" value={threadStates(processes)} width={inner} />
				)}
				{rssCpu}
			</Panel>
		);
	}
	return (
		<Panel title="Concurrency" width={width}>
			{head}
			<Figure
				label="OS threads"
				value={!known ? '-' : threads === null ? 'n/a' : String(threads)}
				width={inner}
			/>
			{server.mode === 'cluster' && server.accept ? (
				models
			) : waits ? (
				<Text wrap="truncate">{activitySummary(waits, inner)}</Text>
			) : processes.some((process) => process.tasks) ? (
				<Figure label="run/sleep/blk" value={threadStates(processes)} width={inner} />
			) : (
				models
			)}
			<Figure label="processes" value={processValue} width={inner} />
			{rssCpu}
		</Panel>
	);
}

/**
 * How the cluster's children get their connections, in place of the thread line (a cluster has no
 * worker threads): dealt in turn by this process, or taken from one shared socket by whichever
 * child the kernel wakes, which is mostly the same one (the Processes panel shows each child's count).
 */
function clusterAccept(accept: string, inner: number): string {
	const forms =
		accept === 'shared'
			? ['shared socket, kernel picks', 'shared, kernel picks', 'shared']
			: ['round-robin by parent', 'round-robin', 'in turn'];
	return forms.find((form) => 'accept'.length + 1 + form.length <= inner) ?? forms.at(-1)!;
}

/** In place of the server's line (the panel keeps its height), as long a form as fits. */
function notResponding(ms: number, inner: number): string {
	const seconds = Math.floor(ms / 1000);
	const forms = [`server not responding for ${seconds} s`, `not responding ${seconds} s`];
	return forms.find((form) => form.length <= inner) ?? `no reply ${seconds}s`;
}

/**
 * How many OS threads run, sleep, and are blocked in the kernel (proc(5) states R, S, D): a pool
 * shows as threads that sleep and wake.
 */
function threadStates(processes: readonly ProcessFigures[]): string {
	const count = {R: 0, S: 0, D: 0};
	for (const process of processes) {
		for (const task of process.tasks ?? []) {
			if (task.state === 'R' || task.state === 'S' || task.state === 'D') count[task.state]++;
		}
	}
	return `${count.R}/${count.S}/${count.D}`;
}

/**
 * Threads by what they wait in (watch: `3 in recv, 1 in accept, 11 on a lock`); null without
 * activities, or when only the state letters were readable (run/sleep/blk says that better).
 */
function activities(processes: readonly ProcessFigures[]): Map<ActivityKind, number> | null {
	const counts = new Map<ActivityKind, number>();
	let known = false;
	for (const process of processes) {
		for (const task of process.tasks ?? []) {
			if (!task.activity) continue;
			counts.set(task.activity.kind, (counts.get(task.activity.kind) ?? 0) + 1);
			known ||= task.activity.from !== 'stat';
		}
	}
	return known ? counts : null;
}

/** Live processes, and the zombies beside them (never among them): `15 +2 zombie`. */
function processCount(live: number, zombies: number, inner: number): string {
	if (zombies === 0) return String(live);
	const long = `${live} +${zombies} zombie`;
	return 'processes'.length + 1 + long.length <= inner ? long : `${live} +${zombies}Z`;
}
