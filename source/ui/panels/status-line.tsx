import {Text} from '#ink';
import {formatBytes, inert} from '../../format.js';
import type {Snapshot} from '../../metrics/snapshot.js';
import {KEY_HINTS} from '../keys.js';

export type StatusLineProps = {
	readonly snapshot: Snapshot;
	readonly width: number;
	/** The display is frozen (space); the server runs on. */
	readonly paused: boolean;
};

/** The top line: which model runs where, with which handler, and the test clients. */
export function StatusLine({snapshot, width, paused}: StatusLineProps) {
	const pausedLabel = paused ? ' PAUSED (space resumes) ' : '';
	const {server, clients} = snapshot;
	const mode = ` ${server.mode ?? 'stopped'} `;
	const waiting = clients.waiting > 0 ? ` (${clients.waiting} waiting)` : '';
	const wrong = clients.wrongReplies ? `  ${clients.wrongReplies} wrong replies` : '';
	const placement = server.placement === 'worker' ? '  own process' : '';
	const where = ` ${server.host}:${server.port}  ${server.handler}${placement}  clients ${clients.total}${waiting}`;
	const room = Math.max(0, width - 17 - mode.length - pausedLabel.length);
	return (
		<Text wrap="truncate">
			<Text bold inverse>
				{' concurrency-top '}
			</Text>
			<Text bold color="magenta">
				{mode}
			</Text>
			{wrong === ''
				? where.padEnd(room)
				: where.padEnd(room - wrong.length).slice(0, Math.max(0, room - wrong.length))}
			<Text bold color="red">
				{wrong}
			</Text>
			<Text bold inverse color="yellow">
				{pausedLabel}
			</Text>
		</Text>
	);
}

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
