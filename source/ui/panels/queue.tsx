import {Text} from '#ink';
import {formatBytes, formatCount, formatDuration} from '../../shared/format.js';
import type {Snapshot, WatchFigures} from '../../metrics/snapshot.js';
import {Figure, Panel} from '../panel.js';

export type QueuePanelProps = {
	readonly queue: Snapshot['queue'];
	/** A watched server: its clients wait in the kernel, not in queues of its own we could see. */
	readonly watch?: WatchFigures | undefined;
	readonly width: number;
};

const warn = (count: number) => (count > 0 ? 'yellow' : undefined);

/** Every place a client can wait, each counted on its own, and how long the waiting lasts. */
export function QueuePanel({queue, watch, width}: QueuePanelProps) {
	const inner = width - 2;
	if (watch) return <WatchedQueue queue={queue} watch={watch} width={width} />;
	const {output} = queue;
	return (
		<Panel title="Queue" width={width}>
			<Waiting label="wait line" count={queue.line} width={inner} />
			{queue.budget ? (
				// Thread and process per client have no pool: in its place, their budget of workers.
				<Figure label="budget" value={shortBudget(queue.budget, inner)} width={inner} />
			) : (
				<Waiting label="pool queue" count={queue.pool} width={inner} />
			)}
			<Figure
				label="kernel accept q"
				value={queue.acceptQueue === null ? 'n/a' : String(queue.acceptQueue)}
				width={inner}
				color={warn(queue.acceptQueue ?? 0)}
			/>
			<Figure
				label="output q"
				value={`${formatCount(output.messages)}m ${formatBytes(output.bytes)}`}
				width={inner}
				color={warn(output.messages)}
			/>
			{queue.refusing !== null && !queue.atLimit ? (
				<Text color="red" wrap="truncate">
					{`refusing: ${queue.refusing.split(' (')[0]}`}
				</Text>
			) : queue.atLimit ? (
				<Text color="red" wrap="truncate">
					{`limit ${queue.maxConnections}: refusing (${formatCount(queue.refusedTotal)})`}
				</Text>
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
}: {
	readonly queue: Snapshot['queue'];
	readonly watch: WatchFigures;
	readonly width: number;
}) {
	const inner = width - 2;
	const backlog = watch.listeners.reduce((sum, listener) => sum + listener.backlog, 0);
	const accept = queue.acceptQueue ?? 0;
	return (
		<Panel title="Queue" width={width}>
			<Waiting label="waiting for srv" count={queue.waiting} width={inner} />
			<Figure
				label="kernel accept q"
				value={queue.acceptQueue === null ? 'n/a' : `${accept}/${backlog}`}
				width={inner}
				color={accept > 0 && accept >= backlog ? 'red' : warn(accept)}
			/>
			<Figure
				label="listen overflows"
				value={watch.listenOverflows === null ? 'n/a' : formatCount(watch.listenOverflows)}
				width={inner}
				color={warn(watch.listenOverflows ?? 0)}
			/>
			<LongestWait queue={queue} width={inner} />
			<Text dimColor wrap="truncate">
				{`waits: unread ${formatDuration(watch.waitThresholdMs)}`}
			</Text>
		</Panel>
	);
}
