import {Box, Text} from '#ink';
import type {ClientsView} from '../../clients/meter.js';
import {formatBytes, formatCount, formatDuration} from '../../shared/format.js';
import {Panel} from '../panel.js';

const ms = (value: number | null) => (value === null ? '-' : formatDuration(value));

export type ClientsPanelProps = {
	readonly view: ClientsView;
	readonly width: number;
};

/** The `clients` command's screen: the clients' own figures, nothing from the server. */
export function ClientsPanel({view, width}: ClientsPanelProps) {
	const {clients, rtt, firstReply} = view;
	const {phases} = clients;
	return (
		<Box flexDirection="column" width={width}>
			<Text wrap="truncate">
				<Text bold inverse>
					{' concurrency-top clients '}
				</Text>{' '}
				<Text bold>{view.target}</Text>
				{'  '}
				<Text dimColor>c/C add 1/10 x/X drop q quit</Text>
			</Text>
			<Panel title="Clients" width={width}>
				<Text wrap="truncate">
					<Text dimColor>{'connections   '}</Text>
					{String(clients.connected).padStart(6)}
					<Text dimColor>{' of '}</Text>
					{clients.total}
					<Text dimColor>{'  no reply yet '}</Text>
					{clients.waiting}
				</Text>
				<Text wrap="truncate">
					<Text dimColor>{'phase         '}</Text>
					{`connecting ${phases.connecting}  waiting ${phases.waiting}  answered ${phases.answered}  reconnecting ${phases.reconnecting}`}
				</Text>
				<Text wrap="truncate">
					<Text dimColor>{'messages/s    '}</Text>
					{formatCount(view.messagesPerSec).padStart(6)}
					<Text dimColor>{'  total '}</Text>
					{formatCount(view.roundTripsTotal)}
					<Text dimColor>{'  bytes/s '}</Text>
					{formatBytes(view.bytesPerSec)}
				</Text>
				<Text wrap="truncate">
					<Text dimColor>{'errors        '}</Text>
					{`refused ${view.errors.refused}  resets ${view.errors.resets}  closed ${view.errors.closed}  timeouts ${view.errors.timeouts}  other ${view.errors.other}`}
				</Text>
				<Text wrap="truncate">
					<Text dimColor>{'round trip    '}</Text>
					<Text dimColor>p50 </Text>
					{ms(rtt.p50Ms).padStart(6)}
					<Text dimColor>{' p99 '}</Text>
					{ms(rtt.p99Ms).padStart(6)}
					<Text dimColor>{' max '}</Text>
					{ms(rtt.maxMs).padStart(6)}
				</Text>
				<Text wrap="truncate">
					<Text dimColor>{'first reply   '}</Text>
					<Text dimColor>p50 </Text>
					{ms(firstReply.p50Ms).padStart(6)}
					<Text dimColor>{' p99 '}</Text>
					{ms(firstReply.p99Ms).padStart(6)}
					<Text dimColor>{' max '}</Text>
					{ms(firstReply.maxMs).padStart(6)}
					<Text dimColor>{` (${firstReply.samples} answered)`}</Text>
				</Text>
			</Panel>
		</Box>
	);
}
