import {Text} from '#ink';
import {formatBytes, inert} from '../../shared/format.js';
import type {Snapshot} from '../../metrics/snapshot.js';
import {KEY_HINTS} from '../keys.js';

export type StatusLineProps = {
	readonly snapshot: Snapshot;
	readonly width: number;
	/** The display is frozen (space); the server runs on. */
	readonly paused: boolean;
};

/**
 * The top line: which model runs where, with which handler, and the test clients. Whole at 80
 * columns: the program's name gives way first, and PAUSED takes its place.
 */
export function StatusLine({snapshot, width, paused}: StatusLineProps) {
	const {server, clients} = snapshot;
	const mode = ` ${server.mode ?? 'stopped'} `;
	const parts = [
		`${server.host}:${server.port}`,
		server.handler,
		server.placement === 'worker' ? 'own proc' : '',
		`clients ${clients.total}${clients.waiting > 0 ? ` (${clients.waiting} waiting)` : ''}`,
	].filter((part) => part !== '');
	// Wrong replies are an alarm: they keep their place at the end, whatever else gives way.
	const count = clients.wrongReplies ? `  ${clients.wrongReplies} wrong replies` : '';
	// What they look like, and the flag that fits, where it leaves room for the address.
	const hinted = count && clients.replyHint ? `${count}: ${inert(clients.replyHint)}` : count;
	const wrong = mode.length + hinted.length + 24 <= width ? hinted : count;
	const pausedShort = paused ? ' PAUSED ' : '';
	// Two spaces between the parts where they fit, one where they would not.
	const spaced = ` ${parts.join('  ')}`;
	const fixed = mode.length + wrong.length;
	const where =
		pausedShort.length + fixed + spaced.length <= width ? spaced : ` ${parts.join(' ')}`;
	const room = width - fixed - where.length;
	const badge = paused
		? room >= PAUSED_LONG.length
			? PAUSED_LONG
			: pausedShort
		: room >= NAME.length
			? NAME
			: '';
	return (
		<Text wrap="truncate">
			<Text bold inverse color={paused ? 'yellow' : undefined}>
				{badge}
			</Text>
			<Text bold color="magenta">
				{mode}
			</Text>
			{where.slice(0, Math.max(0, width - badge.length - fixed))}
			<Text bold color="red">
				{wrong}
			</Text>
		</Text>
	);
}

const NAME = ' concurrency-top ';
const PAUSED_LONG = ' PAUSED (space resumes) ';

export type HostLineProps = {
	readonly host: Snapshot['host'];
	readonly width: number;
	/** The keys to remind of; the dashboard's by default. */
	readonly hints?: string;
	/** Why the last action was refused: in place of the hints while it is fresh. */
	readonly notice?: string | undefined;
};

/** The bottom line: the main keys, and the whole machine's CPU and memory on the right. */
export function HostLine({host, width, hints = KEY_HINTS, notice}: HostLineProps) {
	if (notice !== undefined) {
		return (
			<Text wrap="truncate" color="yellow">
				{inert(notice)}
			</Text>
		);
	}
	const meter =
		host === null
			? 'host …'
			: `host cpu ${Math.round(host.cpuPercent)}% mem ${formatBytes(host.memUsedBytes)}/${formatBytes(host.memTotalBytes)}`;
	const gap = width - hints.length - meter.length;
	return (
		<Text wrap="truncate">
			<Text dimColor>{hints}</Text>
			{gap > 0 ? ' '.repeat(gap) + meter : ''}
		</Text>
	);
}
