import {Box, Text} from '#ink';
import type {ReactNode} from 'react';
import {formatBytes, formatDuration, inert} from '../../shared/format.js';
import type {
	OsFigures,
	ProcessFigures,
	Snapshot,
	ThreadFigures,
	WorkerRow,
} from '../../metrics/snapshot.js';
import {Table, TABLE_HEADING, type TableColumn} from '../table.js';
import {Panel} from '../panel.js';
import {processTotals} from '../../collectors/figures.js';

export type ProcessesPanelProps = {
	readonly os: Snapshot['os'];
	readonly workers: Snapshot['workers'];
	readonly width: number;
	readonly height: number;
	/** Rows scrolled off the top of each list (`j`/`k` in this view); clamped to what there is. */
	readonly offset?: number;
};

/** Lines a table takes besides its rows: its heading. */
const TABLE_CHROME = TABLE_HEADING;

/** What a worker serves, by the server's accounting: one named connection, or how many (a cluster child). */
function serving(row: WorkerRow | undefined): string {
	if (row === undefined) return '';
	if (row.connections === 0) return 'idle';
	if (row.connection !== null && row.connections === 1) return `conn #${row.connection}`;
	return `${row.connections} conn${row.connections === 1 ? '' : 's'}`;
}

type Scalar = string | number | boolean | null | undefined;

/** The rows of `list` that `room` lines show from `offset`, clamped so the last row is never past the end. */
function visible<T>(list: readonly T[], offset: number, room: number): {from: number; rows: T[]} {
	const from = Math.max(0, Math.min(offset, list.length - room));
	return {from, rows: list.slice(from, from + room)};
}

type Row = Record<string, Scalar>;

/** The columns of a table of scalars: each titled by its key, as wide as its widest cell. */
function scalarColumns(
	columns: readonly {readonly key: string; readonly align?: 'left' | 'right'}[],
): TableColumn<Row>[] {
	return columns.map(({key, align}) => ({
		title: key,
		width: 0,
		align: align ?? 'left',
		cell: (row) => String(row[key] ?? ''),
	}));
}

/** A table of some of a list's rows, and under it a line saying what is above and below. */
function ScrolledTable({
	data,
	columns,
	more,
}: {
	readonly data: Row[];
	readonly columns: readonly {readonly key: string; readonly align?: 'left' | 'right'}[];
	readonly more: string;
}) {
	return (
		<Box flexDirection="column">
			<Table columns={scalarColumns(columns)} rows={data} rowKey={(_, index) => index} />
			{more ? <Text dimColor>{more}</Text> : null}
		</Box>
	);
}

/** The processes' table rows: the server first, then its children, each with what it serves. */
function processTable(
	shown: readonly ProcessFigures[],
	all: readonly ProcessFigures[],
	rows: Snapshot['workers']['rows'],
) {
	const byPid = new Map<number, WorkerRow>();
	for (const row of rows) if (row.worker.kind === 'process') byPid.set(row.worker.pid, row);
	return shown.map((process) => ({
		pid: process.pid,
		role: process === all[0] ? 'server' : 'child',
		serves: serving(byPid.get(process.pid)),
		threads: process.threads ?? 'n/a',
		rss: formatBytes(process.rssBytes),
		cpu: process.cpuPercent === null ? '-' : `${process.cpuPercent.toFixed(1)}%`,
	}));
}

const PROCESS_COLUMNS = [
	{key: 'pid', align: 'right'},
	{key: 'role'},
	{key: 'serves'},
	{key: 'threads', align: 'right'},
	{key: 'rss', align: 'right'},
	{key: 'cpu', align: 'right'},
] as const;

/**
 * Rows of the processes' table and of the OS threads' in the threads view: a server of several
 * processes (process per client, cluster, pre-forked) lists them, each with what it serves, above
 * its threads; a server of one process, its threads alone.
 */
function osRooms(
	processes: number,
	threadRows: number,
	height: number,
): {processRoom: number; threadRoom: number} {
	if (processes > 1) return share(Math.max(0, height - 2), processes, threadRows);
	return {processRoom: 0, threadRoom: osThreadsRoom(height)};
}

/** The worker threads' table rows. */
function threadTable(shown: readonly WorkerRow[]) {
	return shown.map((row) => ({
		thread: row.worker.kind === 'thread' ? `#${row.worker.id}` : '',
		model: row.mode,
		serves: serving(row),
		age: formatDuration(row.ageMs),
		startup: row.startupMs === null ? '-' : formatDuration(row.startupMs),
	}));
}

/**
 * The server's processes with their OS threads, memory and CPU (from /proc), and the model's worker
 * threads, each busy with a connection or idle.
 */
export function ProcessesPanel({os, workers, width, height, offset = 0}: ProcessesPanelProps) {
	const processes = os?.processes ?? [];
	const tasks = processes.flatMap((process) =>
		(process.tasks ?? []).map((task) => ({pid: process.pid, ...task})),
	);
	if (tasks.length > 0) {
		const room = osRooms(processes.length, tasks.length + (os?.zombies?.length ?? 0), height);
		const shownProcesses = visible(processes, offset, room.processRoom);
		return (
			<OsThreads
				processes={processes}
				zombies={os?.zombies}
				tasks={tasks}
				workers={workers}
				width={width}
				room={room.threadRoom}
				offset={offset}
				height={height}
			>
				{room.processRoom > 0 ? (
					<ScrolledTable
						data={processTable(shownProcesses.rows, processes, workers.rows)}
						columns={PROCESS_COLUMNS}
						more={more(
							shownProcesses.from,
							shownProcesses.rows.length,
							processes.length,
							'processes',
						)}
					/>
				) : null}
			</OsThreads>
		);
	}
	const threads = workers.rows.filter((row) => row.worker.kind !== 'process');
	const room = share(Math.max(0, height - 2), processes.length, threads.length);
	const shownProcesses = visible(processes, offset, room.processRoom);
	const shownThreads = visible(threads, offset, room.threadRoom);
	const processData = processTable(shownProcesses.rows, processes, workers.rows);
	const threadData = threadTable(shownThreads.rows);
	return (
		<Panel
			title={`Processes ${processes.length} · worker threads ${workers.threads} · busy workers ${workers.busy}`}
			width={width}
			height={height}
		>
			<>
				{processData.length === 0 ? (
					<Text dimColor>no reading of the processes yet</Text>
				) : (
					<ScrolledTable
						data={processData}
						columns={PROCESS_COLUMNS}
						more={more(shownProcesses.from, processData.length, processes.length, 'processes')}
					/>
				)}
				{threadData.length > 0 ? (
					<ScrolledTable
						data={threadData}
						columns={[
							{key: 'thread', align: 'right'},
							{key: 'model'},
							{key: 'serves'},
							{key: 'age', align: 'right'},
							{key: 'startup', align: 'right'},
						]}
						more={more(shownThreads.from, threadData.length, threads.length, 'threads')}
					/>
				) : null}
			</>
		</Panel>
	);
}

/** Rows of the OS threads' table in a panel `height` lines high: borders, table chrome, the line under it. */
const osThreadsRoom = (height: number) => Math.max(0, height - 2 - TABLE_CHROME - 1);

/** The largest scroll offset of the view in a panel `height` lines high: the longest list shows its last row. */
export function lastOffset(
	os: Snapshot['os'],
	workers: Snapshot['workers'],
	height: number,
): number {
	const processes = os?.processes ?? [];
	const tasks = processes.reduce((sum, process) => sum + (process.tasks?.length ?? 0), 0);
	if (tasks > 0) {
		const rows = tasks + (os?.zombies?.length ?? 0);
		const {processRoom, threadRoom} = osRooms(processes.length, rows, height);
		return Math.max(0, rows - threadRoom, processRoom > 0 ? processes.length - processRoom : 0);
	}
	const threads = workers.rows.filter((row) => row.worker.kind !== 'process').length;
	const {processRoom, threadRoom} = share(Math.max(0, height - 2), processes.length, threads);
	return Math.max(0, processes.length - processRoom, threads - threadRoom);
}

/**
 * Rows of each table in `room` lines: each table costs TABLE_CHROME lines, and a line under it when
 * it does not show all its rows (to say so). Threads get what the processes do not need, and at least
 * half when both overflow.
 */
export function share(
	room: number,
	processes: number,
	threads: number,
): {processRoom: number; threadRoom: number} {
	const tables = threads > 0 ? 2 : 1;
	const fits = (p: number, t: number) =>
		p + t + tables * TABLE_CHROME + (p < processes ? 1 : 0) + (t < threads ? 1 : 0) <= room;
	let processRoom = Math.min(processes, Math.max(0, room - tables * TABLE_CHROME));
	let threadRoom = 0;
	while (processRoom > 0 && !fits(processRoom, 0)) processRoom--;
	// Hand lines to the threads, one at a time, while they fit and the processes keep at least half.
	for (;;) {
		if (threadRoom < threads && fits(processRoom, threadRoom + 1)) threadRoom++;
		else if (threadRoom < threads && processRoom > threadRoom && processRoom > 1) processRoom--;
		else break;
	}
	return {processRoom, threadRoom};
}

/** `3 above · 5 more below`, or '' when every row shows. */
function more(from: number, shown: number, total: number, what: string): string {
	const below = total - from - shown;
	if (from === 0 && below <= 0) return '';
	const parts = [];
	if (from > 0) parts.push(`${from} above`);
	if (below > 0) parts.push(`${below} more ${what} below`);
	return `${parts.join(', ')} (j/k scroll)`;
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
 * Every OS thread of every process of the server, with its name, what it is blocked in, on which
 * connection and for how long, and its CPU, from /proc and ss: a watched server's, and our own
 * models' (whose worker threads each sit in `read` on their client's socket).
 */
function OsThreads({
	processes,
	zombies: zombieList,
	tasks,
	workers,
	width,
	height,
	room,
	offset,
	children,
}: {
	readonly processes: readonly ProcessFigures[];
	readonly zombies: OsFigures['zombies'];
	readonly tasks: readonly (ThreadFigures & {readonly pid: number})[];
	readonly workers: Snapshot['workers'];
	readonly width: number;
	readonly height: number;
	/** Rows of threads shown. */
	readonly room: number;
	readonly offset: number;
	/** Above the threads: the processes' table, for a server of several. */
	readonly children?: ReactNode;
}) {
	const timed = tasks.some((task) => task.activity);
	const zombies: Record<string, Scalar>[] = (zombieList ?? []).map((zombie) => ({
		pid: zombie.pid,
		tid: zombie.pid,
		name: clip(inert(zombie.name), 9),
		...(timed ? {in: 'zombie', on: `of ${zombie.ppid}`, for: ''} : {state: 'zombie'}),
		cpu: '-',
	}));
	const all: Record<string, Scalar>[] = [
		...tasks.map((task) => ({
			pid: task.pid,
			tid: task.tid,
			name: timed ? clip(inert(task.name), 9) : inert(task.name),
			// With the system call known, it says more than the state letter.
			...(timed
				? {
						in: clip(task.activity?.call ?? STATES[task.state] ?? task.state, 10),
						on: on(task),
						// 0: it ran since the reading before; it has been there less than a reading.
						for: !task.activity
							? ''
							: task.activity.forMs === 0
								? 'now'
								: formatDuration(task.activity.forMs),
					}
				: {state: STATES[task.state] ?? task.state}),
			cpu: task.cpuPercent === null ? '-' : `${task.cpuPercent.toFixed(1)}%`,
		})),
		...zombies,
	];
	const shown = visible(all, offset, room);
	const data = shown.rows;
	const columns = timed
		? ['pid', 'tid', 'name', 'in', 'on', 'for', 'cpu']
		: ['pid', 'tid', 'name', 'state', 'cpu'];
	const right = new Set(['pid', 'tid', 'for', 'cpu']);
	const rss = processTotals(processes).rssBytes;
	// Our own models say how many of the threads are the model's workers, and how many are busy.
	const ours = workers.threads > 0 ? ` · workers ${workers.busy}/${workers.threads} busy` : '';
	return (
		<Panel
			title={`Processes ${processes.length}${zombies.length > 0 ? ` (+${zombies.length} zombie)` : ''} · OS threads ${tasks.length}${ours} · rss ${formatBytes(rss)}`}
			width={width}
			height={height}
		>
			<>
				{children}
				<Table
					columns={scalarColumns(
						columns.map((key) => (right.has(key) ? {key, align: 'right' as const} : {key})),
					)}
					rows={data}
					rowKey={(_, index) => index}
				/>
				{all.length > data.length ? (
					<Text dimColor>{more(shown.from, data.length, all.length, 'threads')}</Text>
				) : null}
			</>
		</Panel>
	);
}

/** `text` cut to `width` characters, the last one an ellipsis when cut. */
function clip(text: string, width: number): string {
	return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/**
 * What a thread's fd is: the connection (`#3 127.0.0.1:52064`, cut from the left so the port
 * stays), a listener (`listen :8080`), another fd (`fd 7`), or nothing.
 */
function on(task: ThreadFigures): string {
	const connection = task.connection;
	if (connection) {
		if (connection.id === null) {
			const port = /:(\d+)$/.exec(connection.peer)?.[1];
			return connection.peer.startsWith('listener') ? `listen :${port}` : inert(connection.peer);
		}
		const text = `#${connection.id} ${inert(connection.peer)}`;
		return text.length > 20 ? `…${text.slice(-19)}` : text;
	}
	return task.activity?.fd == null ? '' : `fd ${task.activity.fd}`;
}
