import {Box, Text} from 'ink';
import {formatBytes} from '../../format.js';
import type {Snapshot} from '../../metrics/snapshot.js';
import {CompactTable} from '../compact-table.js';
import {Panel} from '../panel.js';

export type ProcessesPanelProps = {
	readonly os: Snapshot['os'];
	readonly width: number;
	readonly height: number;
};

/** Every process of the server with its OS threads, memory and CPU, from /proc. */
export function ProcessesPanel({os, width, height}: ProcessesPanelProps) {
	const processes = os?.processes ?? [];
	// The table takes three lines of its own: top border, heading, bottom border.
	const room = Math.max(0, height - 2 - 3 - 1);
	const data = processes.slice(0, room).map((process, index) => ({
		pid: process.pid,
		role: index === 0 ? 'server' : 'child',
		name: process.name,
		threads: process.threads,
		rss: formatBytes(process.rssBytes),
		cpu: process.cpuPercent === null ? '-' : `${process.cpuPercent.toFixed(1)}%`,
	}));
	const hidden = processes.length - data.length;
	return (
		<Panel title={`Processes ${processes.length}`} width={width} height={height}>
			{data.length === 0 ? (
				<Text dimColor>no /proc reading yet</Text>
			) : (
				<Box flexDirection="column">
					<CompactTable
						data={data}
						columns={[
							{key: 'pid', align: 'right'},
							{key: 'role'},
							{key: 'name'},
							{key: 'threads', align: 'right'},
							{key: 'rss', align: 'right'},
							{key: 'cpu', align: 'right'},
						]}
					/>
					{hidden > 0 ? <Text dimColor>{`${hidden} more not shown`}</Text> : null}
				</Box>
			)}
		</Panel>
	);
}
