import {Box, Text} from '#ink';
import type {Snapshot} from '../metrics/snapshot.js';
import {ConcurrencyPanel} from './panels/concurrency.js';
import {
	CONNECTIONS_CHROME,
	CONNECTIONS_FULL_WIDTH,
	ConnectionsPanel,
} from './panels/connections.js';
import {EventsPanel} from './panels/events.js';
import {HelpPanel} from './panels/help.js';
import {ProcessesPanel} from './panels/processes.js';
import {QueuePanel} from './panels/queue.js';
import {HostLine, StatusLine} from './panels/status-line.js';
import {ATTACH_KEY_HINTS, COMPARE_ROW_KEY_HINTS, KEY_HINTS, WATCH_KEY_HINTS} from './keys.js';
import {TrafficPanel} from './panels/traffic.js';

/** The full dashboard: every panel at its designed width. */
export const FULL_COLUMNS = 80;
export const FULL_ROWS = 24;
/** Below this, nothing useful fits: the screen says so. Between it and FULL, what fits (as htop does). */
export const MIN_COLUMNS = 40;
export const MIN_ROWS = 8;

/** Rows of the top panels (five lines of figures and two borders). */
const TOP_HEIGHT = 7;
/** The narrowest the side panels (Concurrency, Queue) and the Traffic panel are drawn. */
const SIDE_MIN = 23;
const TRAFFIC_MIN = 34;
/** From this many rows on, the event log gets a panel of its own under the connections. */
const EVENTS_FROM_ROWS = 36;

export type Layout = {
	readonly fits: boolean;
	/** Widths of the top panels; 0: left out, the window being too narrow for it. */
	readonly trafficWidth: number;
	readonly sideWidth: number;
	readonly queueWidth: number;
	/** Rows of the top panels; 0 in a window too short for them and a connection. */
	readonly topHeight: number;
	readonly connectionRows: number;
	/** Height of the events panel under the connections; 0 when the window is too short for it. */
	readonly eventsHeight: number;
	/** Width of the connections (or threads) panel. */
	readonly mainWidth: number;
	/** Width of the event log beside it, where the window is wider than the table needs; or 0. */
	readonly besideWidth: number;
};

/** The narrowest event log worth putting beside the connections. */
const BESIDE_MIN_WIDTH = 30;

/**
 * Where everything goes for a terminal of this size; the App asks it how many rows to fetch. Under
 * 80x24 it keeps what fits, in this order: the connections, the Concurrency panel, Traffic, Queue.
 */
export function layoutFor(columns: number, rows: number): Layout {
	const full = columns >= FULL_COLUMNS;
	const sideWidth = full
		? Math.max(SIDE_MIN, Math.floor(columns / 4))
		: columns >= SIDE_MIN + TRAFFIC_MIN
			? SIDE_MIN
			: columns;
	const queueWidth = full ? sideWidth : 0;
	const trafficWidth = columns - sideWidth - queueWidth;
	// Width the table cannot use goes to the event log beside it, not into one wide column.
	const besideWidth =
		columns - CONNECTIONS_FULL_WIDTH >= BESIDE_MIN_WIDTH ? columns - CONNECTIONS_FULL_WIDTH : 0;
	const eventsHeight =
		besideWidth === 0 && rows >= EVENTS_FROM_ROWS ? Math.min(14, Math.floor(rows / 4)) : 0;
	// The top panels only with room for a row of connections under them.
	const topHeight = rows - 2 - CONNECTIONS_CHROME - 1 >= TOP_HEIGHT ? TOP_HEIGHT : 0;
	return {
		fits: columns >= MIN_COLUMNS && rows >= MIN_ROWS,
		trafficWidth,
		sideWidth,
		queueWidth,
		topHeight,
		connectionRows: Math.max(0, rows - 1 - topHeight - 1 - CONNECTIONS_CHROME - eventsHeight),
		eventsHeight,
		mainWidth: columns - besideWidth,
		besideWidth,
	};
}

/** What fills the space under the top panels. */
export type View = 'connections' | 'events' | 'processes' | 'help';

export type DashboardProps = {
	readonly snapshot: Snapshot;
	readonly columns: number;
	readonly rows: number;
	readonly view?: View;
	readonly paused?: boolean;
	/** The filter being typed, shown with a cursor; undefined when not typing one. */
	readonly filterInput?: string | undefined;
	/** Why the last action was refused, for a few seconds; shown in place of the key hints. */
	readonly notice?: string | undefined;
	/** How far the threads view (`t`) is scrolled. */
	readonly processesOffset?: number;
	/** The event at the top of the events view (`e`) when scrolled; undefined: the newest show. */
	readonly eventsOffset?: number | undefined;
	/** Shown by `attach`, where q detaches and the server runs on. */
	readonly attached?: boolean;
	/** Opened from compare's row: Esc goes back to the comparison. */
	readonly fromCompare?: boolean;
};

/** The whole screen, from one snapshot. Pure: the same snapshot and size give the same frame. */
export function Dashboard({
	snapshot,
	columns,
	rows,
	view = 'connections',
	paused = false,
	filterInput,
	notice,
	processesOffset = 0,
	eventsOffset,
	attached = false,
	fromCompare = false,
}: DashboardProps) {
	const layout = layoutFor(columns, rows);
	if (!layout.fits) return <TooSmall columns={columns} rows={rows} />;
	const hints = snapshot.watch
		? WATCH_KEY_HINTS
		: attached
			? ATTACH_KEY_HINTS
			: fromCompare
				? COMPARE_ROW_KEY_HINTS
				: KEY_HINTS;
	return (
		<Box flexDirection="column" width={columns} height={rows}>
			<StatusLine snapshot={snapshot} width={columns} paused={paused} />
			{view === 'help' ? (
				<HelpPanel width={columns} height={rows - 2} watched={snapshot.watch !== undefined} />
			) : (
				<>
					<TopPanels snapshot={snapshot} layout={layout} />
					<Main
						snapshot={snapshot}
						layout={layout}
						columns={columns}
						view={view}
						filterInput={filterInput}
						processesOffset={processesOffset}
						eventsOffset={eventsOffset}
					/>
				</>
			)}
			<HostLine host={snapshot.host} width={columns} hints={hints} notice={notice} />
		</Box>
	);
}

/** In place of the dashboard, in a window smaller than it needs. */
function TooSmall({columns, rows}: {readonly columns: number; readonly rows: number}) {
	return (
		<Box flexDirection="column">
			<Text wrap="truncate">{`concurrency-top needs ${MIN_COLUMNS}x${MIN_ROWS}`}</Text>
			<Text wrap="truncate">{`this window is ${columns}x${rows}`}</Text>
		</Box>
	);
}

/** Traffic, concurrency and queue, side by side under the status line: those the width has room for. */
function TopPanels({snapshot, layout}: {readonly snapshot: Snapshot; readonly layout: Layout}) {
	if (layout.topHeight === 0) return null;
	return (
		<Box height={layout.topHeight}>
			{layout.trafficWidth > 0 ? (
				<TrafficPanel
					traffic={snapshot.traffic}
					latency={snapshot.latency}
					settings={snapshot.server.settings}
					watch={snapshot.watch}
					width={layout.trafficWidth}
				/>
			) : null}
			<ConcurrencyPanel
				server={snapshot.server}
				workers={snapshot.workers}
				os={snapshot.os}
				width={layout.sideWidth}
			/>
			{layout.queueWidth > 0 ? (
				<QueuePanel
					queue={snapshot.queue}
					clients={snapshot.clients}
					pending={snapshot.connections.pending}
					watch={snapshot.watch}
					width={layout.queueWidth}
				/>
			) : null}
		</Box>
	);
}

/**
 * Under the top panels: the view (connections, threads or events), with the event log beside it or
 * under it where the window has room for one.
 */
function Main({
	snapshot,
	layout,
	columns,
	view,
	filterInput,
	processesOffset,
	eventsOffset,
}: {
	readonly snapshot: Snapshot;
	readonly layout: Layout;
	readonly columns: number;
	readonly view: Exclude<View, 'help'>;
	readonly filterInput: string | undefined;
	readonly processesOffset: number;
	readonly eventsOffset: number | undefined;
}) {
	const height = layout.connectionRows + CONNECTIONS_CHROME;
	const {events} = snapshot;
	return (
		<>
			{view === 'events' ? (
				<EventsPanel events={events} width={columns} height={height} offset={eventsOffset} />
			) : (
				<Box height={height} width={columns}>
					{view === 'processes' ? (
						<ProcessesPanel
							os={snapshot.os}
							workers={snapshot.workers}
							width={layout.mainWidth}
							height={height}
							offset={processesOffset}
						/>
					) : (
						<Connections
							snapshot={snapshot}
							width={layout.mainWidth}
							rows={layout.connectionRows}
							filterInput={filterInput}
						/>
					)}
					{layout.besideWidth > 0 ? (
						<EventsPanel events={events} width={layout.besideWidth} height={height} />
					) : null}
				</Box>
			)}
			{layout.eventsHeight > 0 ? (
				<EventsPanel events={events} width={columns} height={layout.eventsHeight} />
			) : null}
		</>
	);
}

/** The connection list, and while our server is down, how many clients wait for it. */
function Connections({
	snapshot,
	width,
	rows,
	filterInput,
}: {
	readonly snapshot: Snapshot;
	readonly width: number;
	readonly rows: number;
	readonly filterInput: string | undefined;
}) {
	const {server, clients} = snapshot;
	return (
		<ConnectionsPanel
			connections={snapshot.connections}
			width={width}
			rows={rows}
			filterInput={filterInput}
			waitingForServer={server.pid === null ? clients.total - clients.connected : undefined}
			watched={snapshot.watch !== undefined}
			notAccepted={{
				inKernelQueue: clients.unaccepted ?? 0,
				notConnected: clients.connecting ?? 0,
			}}
		/>
	);
}
