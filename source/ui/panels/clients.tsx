import {Box, Text} from '#ink';
import type {ClientsView} from '../../clients/meter.js';
import {lateWords} from '../../clients/summary.js';
import {formatBytes, formatCount} from '../../shared/format.js';
import {Figures, Panel, percentiles} from '../panel.js';

export type ClientsPanelProps = {
	readonly view: ClientsView;
	readonly width: number;
	/** `--timeout-ms`: a message without its reply this long counts as late (`errors.messageTimeouts`). */
	readonly timeoutMs: number | undefined;
};

/** The `clients` command's screen: the clients' own figures, nothing from the server. */
export function ClientsPanel({view, width, timeoutMs}: ClientsPanelProps) {
	const {clients, rtt, firstReply, errors} = view;
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
				<Figures
					parts={[
						['connections   ', String(clients.connected).padStart(6)],
						[' of ', String(clients.total)],
						['  no reply yet ', String(clients.waiting)],
					]}
				/>
				<Figures
					parts={[
						[
							'phase         ',
							`connecting ${phases.connecting}  waiting ${phases.waiting}  answered ${phases.answered}  reconnecting ${phases.reconnecting}`,
						],
					]}
				/>
				<Figures
					parts={[
						['messages/s    ', formatCount(view.messagesPerSec).padStart(6)],
						['  total ', formatCount(view.roundTripsTotal)],
						['  bytes/s ', formatBytes(view.bytesPerSec)],
					]}
				/>
				<Figures
					parts={[
						[
							'errors        ',
							`refused ${errors.refused}  resets ${errors.resets}  closed ${errors.closed}  timeouts ${errors.timeouts}  other ${errors.other}`,
						],
					]}
				/>
				<Figures parts={[['late          ', lateWords(errors.messageTimeouts, timeoutMs)]]} />
				<Figures parts={percentiles('round trip    ', rtt, true)} />
				<Figures
					parts={[
						...percentiles('first reply   ', firstReply, true),
						[` (${firstReply.samples} answered)`, ''],
					]}
				/>
			</Panel>
		</Box>
	);
}
