import {Box, Text} from 'ink';
import type {Snapshot} from '../metrics/snapshot.js';
import {ConcurrencyPanel} from './panels/concurrency.js';
import {CONNECTIONS_CHROME, ConnectionsPanel} from './panels/connections.js';
import {HelpPanel} from './panels/help.js';
import {QueuePanel} from './panels/queue.js';
import {HostLine, StatusLine} from './panels/status-line.js';
import {TrafficPanel} from './panels/traffic.js';

export const MIN_COLUMNS = 80;
export const MIN_ROWS = 24;

/** Rows of the top panels (four lines of figures and two borders). */
const TOP_HEIGHT = 6;

export type Layout = {
	readonly fits: boolean;
	readonly sideWidth: number;
	readonly trafficWidth: number;
	readonly connectionRows: number;
};

/** Where everything goes for a terminal of this size; the App asks it how many rows to fetch. */
export function layoutFor(columns: number, rows: number): Layout {
	const sideWidth = Math.max(23, Math.floor(columns / 4));
	return {
		fits: columns >= MIN_COLUMNS && rows >= MIN_ROWS,
		sideWidth,
		trafficWidth: columns - 2 * sideWidth,
		connectionRows: Math.max(0, rows - 1 - TOP_HEIGHT - 1 - CONNECTIONS_CHROME),
	};
}

export type DashboardProps = {
	readonly snapshot: Snapshot;
	readonly columns: number;
	readonly rows: number;
	readonly help: boolean;
	readonly paused?: boolean;
	/** The filter being typed, shown with a cursor; undefined when not typing one. */
	readonly filterInput?: string;
};

/** The whole screen, from one snapshot. Pure: the same snapshot and size give the same frame. */
export function Dashboard({
	snapshot,
	columns,
	rows,
	help,
	paused = false,
	filterInput,
}: DashboardProps) {
	const layout = layoutFor(columns, rows);
	if (!layout.fits) {
		return (
			<Text wrap="truncate">
				{`concurrency-top needs a terminal of at least ${MIN_COLUMNS}x${MIN_ROWS}; this one is ${columns}x${rows}`}
			</Text>
		);
	}
	const bottomHeight = layout.connectionRows + CONNECTIONS_CHROME;
	return (
		<Box flexDirection="column" width={columns} height={rows}>
			<StatusLine snapshot={snapshot} width={columns} paused={paused} />
			<Box height={TOP_HEIGHT}>
				<TrafficPanel
					traffic={snapshot.traffic}
					latency={snapshot.latency}
					width={layout.trafficWidth}
				/>
				<ConcurrencyPanel os={snapshot.os} width={layout.sideWidth} />
				<QueuePanel queue={snapshot.queue} width={layout.sideWidth} />
			</Box>
			{help ? (
				<HelpPanel width={columns} height={bottomHeight} />
			) : (
				<ConnectionsPanel
					connections={snapshot.connections}
					width={columns}
					rows={layout.connectionRows}
					filterInput={filterInput}
				/>
			)}
			<HostLine host={snapshot.host} width={columns} />
		</Box>
	);
}
