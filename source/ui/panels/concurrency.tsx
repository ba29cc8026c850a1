import {Text} from 'ink';
import {formatBytes} from '../../format.js';
import type {Snapshot} from '../../metrics/snapshot.js';
import {Figure, Panel} from '../panel.js';

export type ConcurrencyPanelProps = {
	readonly os: Snapshot['os'];
	readonly width: number;
};

/** Threads and processes of the server, as the kernel counts them in /proc. */
export function ConcurrencyPanel({os, width}: ConcurrencyPanelProps) {
	const inner = width - 2;
	if (os === null || os.processes.length === 0) {
		return (
			<Panel title="Concurrency" width={width}>
				<Text dimColor wrap="truncate">
					no /proc reading yet
				</Text>
			</Panel>
		);
	}
	const [server] = os.processes;
	const threads = os.processes.reduce((sum, process) => sum + process.threads, 0);
	const rss = os.processes.reduce((sum, process) => sum + process.rssBytes, 0);
	const cpu = os.processes.reduce((sum, process) => sum + (process.cpuPercent ?? 0), 0);
	return (
		<Panel title="Concurrency" width={width}>
			<Figure label="server pid" value={String(server!.pid)} width={inner} />
			<Figure label="OS threads" value={String(threads)} width={inner} />
			<Figure label="processes" value={String(os.processes.length)} width={inner} />
			<Figure label="rss / cpu" value={`${formatBytes(rss)} ${Math.round(cpu)}%`} width={inner} />
		</Panel>
	);
}
