import {Box, Text} from 'ink';
import {formatBytes, formatCount, formatDuration} from '../../format.js';
import type {ConnectionRow, Snapshot} from '../../metrics/snapshot.js';
import type {HandledBy} from '../../protocol.js';
import {Panel} from '../panel.js';

export type ConnectionsPanelProps = {
	readonly connections: Snapshot['connections'];
	readonly width: number;
	/** Rows of connections the panel has room for (its height less borders, header and footer). */
	readonly rows: number;
};

/** Lines the panel needs around its rows: two borders, the column header, the footer. */
export const CONNECTIONS_CHROME = 4;

type Column = {
	readonly title: string;
	readonly width: number;
	readonly align: 'left' | 'right';
	readonly cell: (row: ConnectionRow) => string;
};

export function handledBy(by: HandledBy): string {
	switch (by.kind) {
		case 'main':
			return 'main';
		case 'thread':
			return `thread#${by.id}`;
		case 'process':
			return `pid ${by.pid}`;
	}
}

const FIXED: readonly Column[] = [
	{title: 'ID', width: 6, align: 'right', cell: (row) => `#${row.id}`},
	{title: 'PEER', width: 0, align: 'left', cell: (row) => row.peer},
	{title: 'STATE', width: 6, align: 'left', cell: (row) => row.state},
	{title: 'BY', width: 11, align: 'left', cell: (row) => handledBy(row.by)},
	{title: 'IN', width: 5, align: 'right', cell: (row) => formatBytes(row.bytesIn)},
	{title: 'OUT', width: 5, align: 'right', cell: (row) => formatBytes(row.bytesOut)},
	{title: 'MSGS', width: 5, align: 'right', cell: (row) => formatCount(row.messagesIn)},
	{
		title: 'RTT',
		width: 6,
		align: 'right',
		cell: (row) => (row.lastRttMs === null ? '-' : formatDuration(row.lastRttMs)),
	},
	{title: 'AGE', width: 6, align: 'right', cell: (row) => formatDuration(row.ageMs)},
];

/** The peer column takes what the fixed columns leave of the panel's inner width. */
function layout(width: number): Column[] {
	const inner = width - 2;
	const fixed = FIXED.reduce((sum, column) => sum + column.width + 1, 0);
	const peer = Math.max(8, inner - fixed);
	return FIXED.map((column) => (column.title === 'PEER' ? {...column, width: peer} : column));
}

function fit(text: string, column: Column): string {
	const clipped = text.length > column.width ? `${text.slice(0, column.width - 1)}…` : text;
	return column.align === 'right' ? clipped.padStart(column.width) : clipped.padEnd(column.width);
}

export function ConnectionsPanel({connections, width, rows}: ConnectionsPanelProps) {
	const columns = layout(width);
	const shown = connections.rows.slice(0, rows);
	const first = connections.offset + 1;
	const last = connections.offset + shown.length;
	const below = connections.open - last;
	const footer =
		connections.open === 0
			? 'no connections: press c to add a test client, or connect with nc'
			: `${first}-${last} of ${connections.open}` +
				(connections.offset > 0 ? ` · ${connections.offset} above` : '') +
				(below > 0 ? ` · ${below} more below` : '');
	return (
		<Panel
			title={`Connections ${connections.active} active · ${connections.queued} queued`}
			width={width}
			height={rows + CONNECTIONS_CHROME}
		>
			<Text bold wrap="truncate">
				{columns.map((column) => fit(column.title, column)).join(' ')}
			</Text>
			<Box flexDirection="column" height={rows}>
				{shown.map((row) => (
					<Text key={row.id} wrap="truncate">
						{columns.map((column, index) => {
							const text = fit(column.cell(row), column) + (index < columns.length - 1 ? ' ' : '');
							if (column.title !== 'STATE') return text;
							return (
								<Text key="state" color={row.state === 'queued' ? 'yellow' : 'green'}>
									{text}
								</Text>
							);
						})}
					</Text>
				))}
			</Box>
			<Text dimColor wrap="truncate">
				{footer}
			</Text>
		</Panel>
	);
}
