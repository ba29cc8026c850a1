import {Text} from '#ink';
import {formatBytes, formatCount, formatDuration} from '../../shared/format.js';
import type {KernelWaits, PendingRow, Snapshot, WatchFigures} from '../../metrics/snapshot.js';
import {Figure, Panel} from '../panel.js';

export type QueuePanelProps = {
	readonly queue: Snapshot['queue'];
	/** The test clients: those still connecting are the ones a full backlog keeps out. */
	readonly clients?: Snapshot['clients'] | undefined;
	/** The test clients the server has not accepted, with their SYN retries. */
	readonly pending?: readonly PendingRow[] | undefined;
	/** A watched server: its clients wait in the kernel, not in queues of its own we could see. */
	readonly watch?: WatchFigures | undefined;
	readonly width: number;
};

const warn = (count: number) => (count > 0 ? 'yellow' : undefined);

/** Every place a client can wait, each counted on its own, and how long the waiting lasts. */
export function QueuePanel({queue, clients, pending, watch, width}: QueuePanelProps) {
	const inner = width - 2;
	const notConnected = clients?.connecting ?? 0;
	if (watch)
		return (
			<WatchedQueue
				queue={queue}
				watch={watch}
				width={width}
				notConnected={notConnected}
				pending={pending ?? []}
			/>
		);
	const {output, kernel} = queue;
	return (
		<Panel title="Queue" width={width}>
			<Waiting label="wait line" count={queue.line} width={inner} />
			{queue.budget ? (
				// Thread and process per client have no pool: in its place, their budget of workers.
				<Figure label="budget" value={shortBudget(queue.budget, inner)} width={inner} />
			) : (
				<Waiting label="pool queue" count={queue.pool} width={inner} />
			)}
			<AcceptQueue
				depth={queue.acceptQueue}
				backlog={queue.kernel?.backlog ?? null}
				width={inner}
			/>
			{output.messages === 0 && kernel && hasDrops(kernel) ? (
				// Only the reactor has output queues: elsewhere their line makes room for the drops.
				<ListenDrops kernel={kernel} width={inner} />
			) : (
				<Figure
					label="output q"
					value={`${formatCount(output.messages)}m ${formatBytes(output.bytes)}`}
					width={inner}
					color={warn(output.messages)}
				/>
			)}
			{queue.refusing !== null && !queue.atLimit ? (
				<Text color="red" wrap="truncate">
					{`refusing: ${queue.refusing.split(' (')[0]}`}
				</Text>
			) : queue.atLimit ? (
				<Text color="red" wrap="truncate">
					{`limit ${queue.maxConnections}: refusing (${formatCount(queue.refusedTotal)})`}
				</Text>
			) : notConnected > 0 ? (
				<NotConnected count={notConnected} pending={pending ?? []} width={inner} />
			) : queue.stalled > 0 ? (
				<Figure
					label="not reading"
					value={`${formatCount(queue.stalled)} stalled`}
					width={inner}
					color="yellow"
				/>
			) : (
				<LongestWait queue={queue} width={inner} />
			)}
		</Panel>
	);
}

/**
 * The kernel's accept queue against what it holds: `6/6 (backlog 5)`, as full as it gets (the
 * kernel queues backlog + 1), red when full. Shorter forms where the panel is narrow.
 */
function AcceptQueue({
	depth,
	backlog,
	width,
}: {
	readonly depth: number | null;
	readonly backlog: number | null;
	readonly width: number;
}) {
	if (depth === null || backlog === null)
		return (
			<Figure
				label="kernel accept q"
				value={depth === null ? 'n/a' : String(depth)}
				width={width}
				color={warn(depth ?? 0)}
			/>
		);
	const [label, value] = fitFirst(width, [
		['kernel accept q', `${depth}/${backlog + 1} (backlog ${backlog})`],
		['accept q', `${depth}/${backlog + 1} (backlog ${backlog})`],
		['accept', `${depth}/${backlog + 1} (backlog ${backlog})`],
		['accept', `${depth}/${backlog + 1} backlog ${backlog}`],
		['kernel accept q', `${depth}/${backlog + 1}`],
		['accept q', `${depth}/${backlog + 1}`],
	]);
	return (
		<Figure
			label={label}
			value={value}
			width={width}
			color={depth > backlog ? 'red' : warn(depth)}
		/>
	);
}

/** The first label and value that fit beside each other in `width` (with a space), else the last. */
function fitFirst(
	width: number,
	candidates: readonly (readonly [string, string])[],
): readonly [string, string] {
	return (
		candidates.find(([label, value]) => label.length + 1 + value.length <= width) ??
		candidates.at(-1)!
	);
}

const hasDrops = (kernel: KernelWaits) =>
	(kernel.listenOverflows ?? 0) > 0 || (kernel.listenDrops ?? 0) > 0;

/** TcpExt ListenOverflows/ListenDrops since start: the whole machine's (`host`, as in the status line). */
function ListenDrops({kernel, width}: {readonly kernel: KernelWaits; readonly width: number}) {
	const overflows = kernel.listenOverflows === null ? '?' : formatCount(kernel.listenOverflows);
	const drops = kernel.listenDrops === null ? '?' : formatCount(kernel.listenDrops);
	const [label, value] = fitFirst(width, [
		['host listen ovf/drop', `${overflows}/${drops}`],
		['host ovf/drop', `${overflows}/${drops}`],
		['host drops', drops],
	]);
	return <Figure label={label} value={value} width={width} color="yellow" />;
}

/**
 * Test clients whose SYNs have had no answer, and the most SYN retries one of them has had: from
 * the kernel (ss), or `~`, derived from their age, where it could not say.
 */
function NotConnected({
	count,
	pending,
	width,
}: {
	readonly count: number;
	readonly pending: readonly PendingRow[];
	readonly width: number;
}) {
	let most: PendingRow | undefined;
	for (const row of pending)
		if (
			row.where === 'not connected' &&
			(most === undefined || (row.synRetries ?? 0) > (most.synRetries ?? 0))
		)
			most = row;
	const retries =
		most?.synRetries == null
			? ''
			: ` SYN×${most.retriesFrom === 'derived' ? '~' : ''}${most.synRetries}`;
	const [label, value] = fitFirst(width, [
		['not connected', `${formatCount(count)}${retries}`],
		['no SYN-ACK', `${formatCount(count)}${retries}`],
		['not connected', formatCount(count)],
	]);
	return <Figure label={label} value={value} width={width} color="red" />;
}

/** How many clients wait in one place; yellow while any do. */
function Waiting({
	label,
	count,
	width,
}: {
	readonly label: string;
	readonly count: number;
	readonly width: number;
}) {
	return <Figure label={label} value={String(count)} width={width} color={warn(count)} />;
}

/** How long the longest-waiting client has waited so far; yellow while any waits. */
function LongestWait({queue, width}: {readonly queue: Snapshot['queue']; readonly width: number}) {
	return (
		<Figure
			label="longest wait"
			value={queue.longestWaitMs > 0 ? formatDuration(queue.longestWaitMs) : '-'}
			width={width}
			color={warn(queue.waiting)}
		/>
	);
}

/** `32 child processes`, or `32 children` where that does not fit beside its label. */
function shortBudget(budget: string, inner: number): string {
	return 'budget '.length + budget.length <= inner
		? budget
		: budget.replace('child processes', 'children');
}

/**
 * Where a watched server's clients wait: accepted with their bytes unread, or not accepted at all
 * (the accept queue against its backlog); and the connections the kernel dropped at a full backlog.
 */
function WatchedQueue({
	queue,
	watch,
	width,
	notConnected,
	pending,
}: {
	readonly queue: Snapshot['queue'];
	readonly watch: WatchFigures;
	readonly width: number;
	readonly notConnected: number;
	readonly pending: readonly PendingRow[];
}) {
	const inner = width - 2;
	const backlog = watch.listeners.reduce((sum, listener) => sum + listener.backlog, 0);
	return (
		<Panel title="Queue" width={width}>
			<Waiting label="waiting for srv" count={queue.waiting} width={inner} />
			<AcceptQueue
				depth={queue.acceptQueue}
				backlog={watch.listeners.length > 0 ? backlog : null}
				width={inner}
			/>
			<Figure
				label="listen overflows"
				value={watch.listenOverflows === null ? 'n/a' : formatCount(watch.listenOverflows)}
				width={inner}
				color={warn(watch.listenOverflows ?? 0)}
			/>
			{notConnected > 0 ? (
				<NotConnected count={notConnected} pending={pending} width={inner} />
			) : (
				<LongestWait queue={queue} width={inner} />
			)}
			<Text dimColor wrap="truncate">
				{`waits: unread ${formatDuration(watch.waitThresholdMs)}`}
			</Text>
		</Panel>
	);
}
