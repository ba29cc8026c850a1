import {Text} from '#ink';
import {formatBytes} from '../../format.js';
import type {Snapshot} from '../../metrics/snapshot.js';
import {Figure, Panel} from '../panel.js';

export type ConcurrencyPanelProps = {
	readonly server: Snapshot['server'];
	readonly workers: Snapshot['workers'];
	readonly os: Snapshot['os'];
	readonly width: number;
};

/** Threads and processes of the server: the kernel's counts from /proc, and the model's own workers. */
export function ConcurrencyPanel({server, workers, os, width}: ConcurrencyPanelProps) {
	const inner = width - 2;
	const placement = server.placement === 'in-process' ? 'in-proc' : 'own proc';
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
	const processes = os?.processes ?? [];
	const threads = processes.reduce((sum, process) => sum + process.threads, 0);
	const rss = processes.reduce((sum, process) => sum + process.rssBytes, 0);
	const cpu = processes.reduce((sum, process) => sum + (process.cpuPercent ?? 0), 0);
	const known = os !== null && processes.length > 0;
	return (
		<Panel title="Concurrency" width={width}>
			<Figure label="server" value={`${server.pid} ${placement}`} width={inner} />
			<Figure label="OS threads" value={known ? String(threads) : '-'} width={inner} />
			<Figure
				label="worker thr"
				value={workers.threads === 0 ? '0' : `${workers.busy}/${workers.threads} busy`}
				width={inner}
			/>
			<Figure label="processes" value={known ? String(processes.length) : '-'} width={inner} />
			<Figure
				label="rss cpu"
				value={known ? `${formatBytes(rss)} ${Math.round(cpu)}%` : '-'}
				width={inner}
			/>
		</Panel>
	);
}
