import {Box, Text} from '#ink';
import {formatBytes, formatDuration, inert} from '../../format.js';
import type {ProcessFigures, Snapshot, ThreadFigures, WorkerRow} from '../../metrics/snapshot.js';
import {CompactTable} from '../compact-table.js';
import {Panel} from '../panel.js';

export type ProcessesPanelProps = {
	readonly os: Snapshot['os'];
	readonly workers: Snapshot['workers'];
	readonly width: number;
	readonly height: number;
};

/** Lines a CompactTable takes besides its rows: top border, heading, bottom border. */
const TABLE_CHROME = 3;

/** What a worker serves, by the server's accounting: one named connection, or how many (a cluster child). */
function serving(row: WorkerRow | undefined): string {
	if (row === undefined) return '';
	if (row.connections === 0) return 'idle';
	if (row.connection !== null && row.connections === 1) return `conn #${row.connection}`;
	return `${row.connections} conn${row.connections === 1 ? '' : 's'}`;
}

/**
 * The server's processes with their OS threads, memory and CPU (from /proc), and the model's worker
 * threads, each busy with a connection or idle.
 */
export function ProcessesPanel({os, workers, width, height}: ProcessesPanelProps) {
	const processes = os?.processes ?? [];
	const byPid = new Map<number, WorkerRow>();
	const threads: WorkerRow[] = [];
	for (const row of workers.rows) {
		if (row.worker.kind === 'process') byPid.set(row.worker.pid, row);
		else threads.push(row);
	}
	const room = Math.max(0, height - 2);
	const threadRoom =
		threads.length === 0 ? 0 : Math.min(threads.length, Math.floor((room - 2 * TABLE_CHROME) / 2));
	const processRoom = Math.max(
		0,
		room - TABLE_CHROME - (threadRoom > 0 ? threadRoom + TABLE_CHROME : 0) - 1,
	);
	const processData = processes.slice(0, processRoom).map((process, index) => ({
		pid: process.pid,
		role: index === 0 ? 'server' : 'child',
		serves: serving(byPid.get(process.pid)),
		threads: process.threads,
		rss: formatBytes(process.rssBytes),
		cpu: process.cpuPercent === null ? '-' : `${process.cpuPercent.toFixed(1)}%`,
	}));
	const tasks = processes.flatMap((process) =>
		(process.tasks ?? []).map((task) => ({pid: process.pid, ...task})),
	);
	if (tasks.length > 0) {
		return <OsThreads processes={processes} tasks={tasks} width={width} height={height} />;
	}
	const threadData = threads.slice(0, threadRoom).map((row) => ({
		thread: row.worker.kind === 'thread' ? `#${row.worker.id}` : '',
		model: row.mode,
		serves: serving(row),
		age: formatDuration(row.ageMs),
		startup: row.startupMs === null ? '-' : formatDuration(row.startupMs),
	}));
	const hiddenProcesses = processes.length - processData.length;
	const hiddenThreads = workers.threads - threadData.length;
	return (
		<Panel
			title={`Processes ${processes.length} · worker threads ${workers.threads} · busy workers ${workers.busy}`}
			width={width}
			height={height}
		>
			<>
				{processData.length === 0 ? (
					<Text dimColor>no /proc reading yet</Text>
				) : (
					<Box flexDirection="column">
						<CompactTable
							data={processData}
							columns={[
								{key: 'pid', align: 'right'},
								{key: 'role'},
								{key: 'serves'},
								{key: 'threads', align: 'right'},
								{key: 'rss', align: 'right'},
								{key: 'cpu', align: 'right'},
							]}
						/>
						{hiddenProcesses > 0 ? (
							<Text dimColor>{`${hiddenProcesses} more processes`}</Text>
						) : null}
					</Box>
				)}
				{threadData.length > 0 ? (
					<Box flexDirection="column">
						<CompactTable
							data={threadData}
							columns={[
								{key: 'thread', align: 'right'},
								{key: 'model'},
								{key: 'serves'},
								{key: 'age', align: 'right'},
								{key: 'startup', align: 'right'},
							]}
						/>
						{hiddenThreads > 0 ? <Text dimColor>{`${hiddenThreads} more threads`}</Text> : null}
					</Box>
				) : null}
			</>
		</Panel>
	);
}

/** proc(5) thread states, in words. */
const STATES: Readonly<Record<string, string>> = {
	R: 'running',
	S: 'sleeping',
	D: 'blocked',
	I: 'idle',
	T: 'stopped',
	t: 'traced',
	Z: 'zombie',
};

/**
 * A watched server: every OS thread of every process, with its name, state and CPU, from /proc
 * (the server tells us nothing of its own workers).
 */
function OsThreads({
	processes,
	tasks,
	width,
	height,
}: {
	readonly processes: readonly ProcessFigures[];
	readonly tasks: readonly (ThreadFigures & {readonly pid: number})[];
	readonly width: number;
	readonly height: number;
}) {
	const room = Math.max(0, height - 2 - TABLE_CHROME - 1);
	const data = tasks.slice(0, room).map((task) => ({
		pid: task.pid,
		tid: task.tid,
		name: inert(task.name),
		state: STATES[task.state] ?? task.state,
		cpu: task.cpuPercent === null ? '-' : `${task.cpuPercent.toFixed(1)}%`,
	}));
	const rss = processes.reduce((sum, process) => sum + process.rssBytes, 0);
	return (
		<Panel
			title={`Processes ${processes.length} · OS threads ${tasks.length} · rss ${formatBytes(rss)}`}
			width={width}
			height={height}
		>
			<>
				<CompactTable
					data={data}
					columns={[
						{key: 'pid', align: 'right'},
						{key: 'tid', align: 'right'},
						{key: 'name'},
						{key: 'state'},
						{key: 'cpu', align: 'right'},
					]}
				/>
				{tasks.length > data.length ? (
					<Text dimColor>{`${tasks.length - data.length} more threads`}</Text>
				) : null}
			</>
		</Panel>
	);
}
