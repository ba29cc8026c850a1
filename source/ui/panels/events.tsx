import {Text} from '#ink';
import {inert} from '../../shared/format.js';
import type {EventLine} from '../../metrics/snapshot.js';
import {Panel} from '../panel.js';

export type EventsPanelProps = {
	readonly events: readonly EventLine[];
	readonly width: number;
	readonly height: number;
};

const COLORS = {info: undefined, warn: 'yellow', error: 'red'} as const;

function clock(at: number): string {
	return new Date(at).toTimeString().slice(0, 8);
}

/** The latest notable events, newest at the bottom: connections queued, served, closed, models switched. */
export function EventsPanel({events, width, height}: EventsPanelProps) {
	const shown = events.slice(-Math.max(0, height - 2));
	return (
		<Panel title="Events" width={width} height={height}>
			{shown.length === 0 ? <Text dimColor>nothing yet</Text> : null}
			{shown.map((event, index) => (
				<Text key={`${event.at}-${index}`} wrap="truncate" color={COLORS[event.level]}>
					<Text dimColor>{clock(event.at)} </Text>
					{inert(event.text)}
				</Text>
			))}
		</Panel>
	);
}
