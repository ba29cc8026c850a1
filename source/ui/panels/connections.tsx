import {Text} from '#ink';
import {formatBytes, formatCount, formatDuration, inert} from '../../shared/format.js';
import {handledByLabel, type SortKey} from '../../metrics/connection-view.js';
import type {ConnectionRow, PendingRow, Snapshot} from '../../metrics/snapshot.js';
import {useGlyphs} from '../glyphs.js';
import {Panel} from '../panel.js';
import {Table, type TableColumn} from '../table.js';

export type ConnectionsPanelProps = {
	readonly connections: Snapshot['connections'];
	readonly width: number;
	/** Rows of connections the panel has room for (its height less borders, header and footer). */
	readonly rows: number;
	/** The filter being typed; undefined when not typing one. */
	readonly filterInput?: string | undefined;
	/** Test clients trying to reach a server whose process is down; undefined while it is up. */
	readonly waitingForServer?: number | undefined;
	/** A watched server: the kernel's Recv-Q/Send-Q in place of message counts it cannot know. */
	readonly watched?: boolean;
	/** Test clients the server has not accepted: in the kernel's accept queue, and not connected. */
	readonly notAccepted?: {readonly inKernelQueue: number; readonly notConnected: number};
};

/** Lines the panel needs around its rows: two borders, the column header, the footer. */
export const CONNECTIONS_CHROME = 4;

/** A column of the connection list, and the sort key its heading marks when the list is sorted by it. */
type Column = TableColumn<ConnectionRow> & {readonly sort?: SortKey};

const FIXED: readonly Column[] = [
	{title: 'ID', sort: 'id', width: 6, align: 'right', cell: (row) => `#${row.id}`},
	{title: 'PEER', width: 0, align: 'left', cell: (row) => inert(row.peer)},
	{
		title: 'STATE',
		sort: 'state',
		width: 6,
		align: 'left',
		cell: (row) => row.state,
		color: (row) => (row.state === 'queued' ? 'yellow' : 'green'),
	},
	{
		title: 'BY',
		sort: 'by',
		width: 11,
		align: 'left',
		// A queued connection is nobody's yet: say where it waits instead.
		cell: (row) =>
			row.state === 'queued' && row.waitIn ? `(${row.waitIn})` : handledByLabel(row.by),
	},
	{title: 'IN', sort: 'in', width: 5, align: 'right', cell: (row) => formatBytes(row.bytesIn)},
	{title: 'OUT', sort: 'out', width: 5, align: 'right', cell: (row) => formatBytes(row.bytesOut)},
	{
		title: 'MSGS',
		sort: 'msgs',
		width: 5,
		align: 'right',
		cell: (row) => formatCount(row.messagesIn),
	},
	{
		title: 'RTT',
		sort: 'rtt',
		width: 6,
		align: 'right',
		cell: (row) => (row.lastRttMs === null ? '-' : formatDuration(row.lastRttMs)),
	},
	{title: 'AGE', width: 6, align: 'right', cell: (row) => formatDuration(row.ageMs)},
];

/** Recv-Q/Send-Q from the kernel (watch): bytes the server has not read / the peer has not acknowledged. */
const QUEUES: Column = {
	title: 'RQ/SQ',
	width: 9,
	align: 'right',
	cell: (row) => `${formatBytes(row.unread ?? 0)}/${formatBytes(row.unsent ?? 0)}`,
};

/**
 * Watch: the thread on the connection's socket and what it waits in (`5639 recv`, `+1` when more
 * than one is), else the process that holds the socket.
 */
const WATCHED_BY: Column = {
	title: 'BY',
	sort: 'by',
	width: 11,
	align: 'left',
	cell: (row) => {
		if (row.state === 'queued' && row.waitIn) return `(${row.waitIn})`;
		const [first, ...others] = row.threads ?? [];
		if (!first) return handledByLabel(row.by);
		return `${first.tid} ${first.kind}${others.length > 0 ? `+${others.length}` : ''}`;
	},
};

/** Widest peer shown whole: `[::ffff:127.0.0.1]:65535` and room to spare; wider ones are cut. */
const PEER_MAX = 28;

/** Width at which every column is shown whole: wider windows put the extra beside this panel. */
export const CONNECTIONS_FULL_WIDTH =
	FIXED.reduce((sum, column) => sum + column.width + 1, 0) + PEER_MAX + 2;

/** The peer column takes what the fixed columns leave of the panel's inner width, up to PEER_MAX. */
function layout(width: number, watched: boolean): Column[] {
	const inner = width - 2;
	const chosen = watched
		? FIXED.map((column) =>
				column.title === 'MSGS' ? QUEUES : column.title === 'BY' ? WATCHED_BY : column,
			)
		: FIXED;
	// In a window narrower than 80 columns, the columns that say least go first, until the rest fit.
	let kept = chosen;
	const used = (columns: readonly Column[]) =>
		columns.reduce((sum, column) => sum + column.width + 1, 0);
	for (const title of DROPPED_FIRST) {
		if (used(kept) + PEER_MIN <= inner) break;
		kept = kept.filter((column) => column.title !== title);
	}
	// Narrower than that only where nothing else is left to drop.
	const peer = Math.max(8, Math.min(PEER_MAX, inner - used(kept)));
	return kept.map((column) => (column.title === 'PEER' ? {...column, width: peer} : column));
}

/** The narrowest peer column: a loopback address and its port (`127.0.0.1:50110`) whole. */
const PEER_MIN = 15;

/** Columns left out in a narrow window, first to last: the connection's id, peer, state and handler stay. */
const DROPPED_FIRST = ['AGE', 'MSGS', 'RQ/SQ', 'RTT', 'OUT', 'IN'];

function footerText(
	connections: Snapshot['connections'],
	shown: number,
	dot: string,
	waitingForServer: number | undefined,
): string {
	if (waitingForServer !== undefined)
		return `server down: ${formatCount(waitingForServer)} test client${waitingForServer === 1 ? '' : 's'} waiting for it ${dot} press R to restart it`;
	if (connections.open === 0)
		return 'no connections: press c to add a test client, or connect with nc';
	const {matching, offset, filter} = connections;
	const filtered =
		filter === '' ? '' : ` ${dot} filter "${filter}" matches ${matching} of ${connections.open}`;
	if (matching === 0) return `nothing matches${filtered}`;
	const below = matching - offset - shown;
	return (
		`${offset + 1}-${offset + shown} of ${matching}` +
		(offset > 0 ? ` ${dot} ${offset} above` : '') +
		(below > 0 ? ` ${dot} ${below} more below` : '') +
		filtered
	);
}

/**
 * A test client the server has not accepted, on a line of its own: where it waits, as the kernel
 * has it, and since when. `c12` is the test client's number: it has no connection id yet.
 */
export function pendingText(row: PendingRow, peerWidth: number): string {
	const where =
		row.where === 'kernel queue'
			? 'kernel queue (connected, not accepted)'
			: row.handshake === 'half-open'
				? 'not connected: half-open, its ACK dropped at the full queue'
				: row.retriesFrom === 'derived'
					? `not connected: SYN retried ~${row.synRetries} (derived from its age)`
					: `not connected: SYN retried ${row.synRetries ?? 0}`;
	const peer = inert(row.local ?? '-');
	const cut = peer.length > peerWidth ? peer.slice(0, peerWidth) : peer.padEnd(peerWidth);
	return `${`c${row.client}`.padStart(6)} ${cut} ${where}, ${formatDuration(row.sinceMs)}`;
}

export function ConnectionsPanel({
	connections,
	width,
	rows,
	filterInput,
	waitingForServer,
	watched = false,
	notAccepted = {inKernelQueue: 0, notConnected: 0},
}: ConnectionsPanelProps) {
	const glyphs = useGlyphs();
	const columns = layout(width, watched);
	const shown = connections.rows.slice(0, rows);
	// The clients the server has not accepted fill the lines its connections leave.
	const pending = connections.pending ?? [];
	const pendingShown = pending.slice(0, rows - shown.length);
	const peerWidth = columns.find((column) => column.title === 'PEER')!.width;
	const titles = columns.map((column) =>
		column.sort === connections.sort ? `${column.title}${glyphs.sorted}` : column.title,
	);
	return (
		<Panel
			title={[
				`Connections ${connections.active} active`,
				`${connections.queued} queued`,
				...(notAccepted.inKernelQueue > 0 ? [`${notAccepted.inKernelQueue} in kernel queue`] : []),
				...(notAccepted.notConnected > 0 ? [`${notAccepted.notConnected} not connected`] : []),
			].join(` ${glyphs.dot} `)}
			width={width}
			height={rows + CONNECTIONS_CHROME}
		>
			<Table columns={columns} rows={shown} rowKey={(row) => row.id} titles={titles} height={rows}>
				{pendingShown.map((row) => (
					<Text key={`c${row.client}`} wrap="truncate" color="yellow">
						{pendingText(row, peerWidth)}
					</Text>
				))}
			</Table>
			{filterInput === undefined ? (
				<Text dimColor wrap="truncate">
					{footerText(connections, shown.length, glyphs.dot, waitingForServer)}
				</Text>
			) : (
				<Text wrap="truncate">
					<Text color="cyan">{'filter: '}</Text>
					{filterInput}
					<Text inverse> </Text>
					<Text dimColor>{'  (Enter keeps, Esc clears)'}</Text>
				</Text>
			)}
		</Panel>
	);
}
