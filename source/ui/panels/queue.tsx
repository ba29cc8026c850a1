import {formatDuration} from '../../format.js';
import type {Snapshot} from '../../metrics/snapshot.js';
import {Figure, Panel} from '../panel.js';

export type QueuePanelProps = {
	readonly queue: Snapshot['queue'];
	readonly width: number;
};

/** Who waits, and for how long: the server's wait line, and the kernel's accept queue. */
export function QueuePanel({queue, width}: QueuePanelProps) {
	const inner = width - 2;
	const waiting = queue.waiting > 0;
	return (
		<Panel title="Queue" width={width}>
			<Figure
				label="waiting"
				value={String(queue.waiting)}
				width={inner}
				color={waiting ? 'yellow' : undefined}
			/>
			<Figure
				label="oldest wait"
				value={waiting ? formatDuration(queue.oldestWaitMs) : '-'}
				width={inner}
			/>
			<Figure
				label="longest wait"
				value={queue.longestWaitMs > 0 ? formatDuration(queue.longestWaitMs) : '-'}
				width={inner}
			/>
			<Figure
				label="kernel accept q"
				value={queue.acceptQueue === null ? 'n/a' : String(queue.acceptQueue)}
				width={inner}
			/>
		</Panel>
	);
}
