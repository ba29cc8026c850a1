import {Text} from '#ink';
import {formatBytes, formatCount, formatDuration} from '../../format.js';
import type {Snapshot} from '../../metrics/snapshot.js';
import {Figure, Panel} from '../panel.js';

export type QueuePanelProps = {
	readonly queue: Snapshot['queue'];
	readonly width: number;
};

const warn = (count: number) => (count > 0 ? 'yellow' : undefined);

/** Every place a client can wait, each counted on its own, and how long the waiting lasts. */
export function QueuePanel({queue, width}: QueuePanelProps) {
	const inner = width - 2;
	const {output} = queue;
	return (
		<Panel title="Queue" width={width}>
			<Figure label="wait line" value={String(queue.line)} width={inner} color={warn(queue.line)} />
			<Figure
				label="pool queue"
				value={String(queue.pool)}
				width={inner}
				color={warn(queue.pool)}
			/>
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
				<Figure
					label="longest wait"
					value={queue.longestWaitMs > 0 ? formatDuration(queue.longestWaitMs) : '-'}
					width={inner}
					color={warn(queue.waiting)}
				/>
			)}
		</Panel>
	);
}
