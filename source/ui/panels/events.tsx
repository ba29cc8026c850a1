import {Text} from '#ink';
import {inert} from '../../shared/format.js';
import type {EventLine} from '../../metrics/snapshot.js';
import {graphemeWidth} from '../../terminal/index.js';
import {Panel} from '../panel.js';

export type EventsPanelProps = {
	readonly events: readonly EventLine[];
	readonly width: number;
	readonly height: number;
	/**
	 * The event at the top, when scrolled (`j`/`k` in the events view): the log holds still while
	 * new events arrive. Undefined: it follows the newest, at the bottom.
	 */
	readonly offset?: number | undefined;
};

const COLORS = {info: undefined, warn: 'yellow', error: 'red'} as const;

function clock(at: number): string {
	return new Date(at).toTimeString().slice(0, 8);
}

/** Columns the clock and its space take; a wrapped event's next lines start under its text. */
const CLOCK_WIDTH = 9;

const graphemes = new Intl.Segmenter();

/**
 * `text` in lines of at most `width` columns, broken at spaces where it can be and inside a word
 * only when the word alone is wider: an event is shown whole, never cut with "…".
 */
export function wrapText(text: string, width: number): string[] {
	if (width <= 0) return [text];
	const lines: string[] = [];
	let line = '';
	let used = 0;
	/** Where the line may break: after its last space, with the columns up to there. */
	let space = -1;
	for (const {segment} of graphemes.segment(text)) {
		const columns = graphemeWidth(segment);
		if (used + columns > width) {
			if (space > 0 && segment !== ' ') {
				lines.push(line.slice(0, space).trimEnd());
				line = line.slice(space);
				used = [...graphemes.segment(line)].reduce(
					(sum, each) => sum + graphemeWidth(each.segment),
					0,
				);
			} else {
				lines.push(line.trimEnd());
				line = '';
				used = 0;
			}
			space = -1;
			if (segment === ' ' && line === '') continue;
		}
		line += segment;
		used += columns;
		if (segment === ' ') space = line.length;
	}
	if (line !== '' || lines.length === 0) lines.push(line);
	return lines;
}

type Row = {
	readonly key: string;
	readonly clock: string;
	readonly text: string;
	readonly level: EventLine['level'];
};

/** The lines one event takes in `inner` columns: the clock, then its text, wrapped under itself. */
function linesOf(event: EventLine, index: number, inner: number): Row[] {
	return wrapText(inert(event.text), inner - CLOCK_WIDTH).map((text, line) => ({
		key: `${event.at}-${index}-${line}`,
		clock: line === 0 ? `${clock(event.at)} ` : ' '.repeat(CLOCK_WIDTH),
		text,
		level: event.level,
	}));
}

/** Rows of events the panel shows in `height` lines when scrolled: one line says what is above and below. */
export const eventRows = (height: number) => Math.max(0, height - 3);

/** The events shown, newest at the bottom: connections queued, served, closed, models switched. */
export function EventsPanel({events, width, height, offset}: EventsPanelProps) {
	const inner = width - 2;
	const scrolled = offset !== undefined && events.length > eventRows(height);
	const room = scrolled ? eventRows(height) : Math.max(0, height - 2);
	let shown: Row[];
	let footer = '';
	if (scrolled) {
		// From the event at the offset down, as many whole events as fit (a longer one, cut).
		const from = Math.max(0, Math.min(offset, events.length - 1));
		shown = [];
		let next = from;
		for (; next < events.length && shown.length < room; next++)
			shown.push(...linesOf(events[next]!, next, inner).slice(0, room - shown.length));
		const below = events.length - next;
		footer = [
			from > 0 ? `${from} above` : '',
			below > 0 ? `${below} newer below (G latest)` : 'the latest (j/k scroll)',
		]
			.filter(Boolean)
			.join(', ');
	} else {
		// The newest at the bottom: from the last event up, as many lines as fit.
		shown = [];
		for (let index = events.length - 1; index >= 0 && shown.length < room; index--)
			shown.unshift(...linesOf(events[index]!, index, inner).slice(-(room - shown.length)));
	}
	return (
		<Panel title="Events" width={width} height={height}>
			{shown.length === 0 ? <Text dimColor>nothing yet</Text> : null}
			{shown.map((row) => (
				<Text key={row.key} wrap="truncate" color={COLORS[row.level]}>
					<Text dimColor>{row.clock}</Text>
					{row.text}
				</Text>
			))}
			{footer ? (
				<Text dimColor wrap="truncate">
					{footer}
				</Text>
			) : null}
		</Panel>
	);
}
