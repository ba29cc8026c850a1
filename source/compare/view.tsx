import {Box, Text} from '#ink';
import type {CompareSnapshot} from './figures.js';
import {
	BEST_MARK,
	LOAD_MARK,
	opinionLines,
	shortfallLines,
	tableLines,
	TEXT_MARK,
	columnsFor,
} from './layout.js';

export const COMPARE_KEYS =
	'c/C x/X clients  w/W work  d/D delay  r storm  ↑↓ Enter dashboard  q quit';

export type ScreenOptions = {
	readonly columns: number;
	readonly rows: number;
	/** Index of the picked row. */
	readonly selected: number;
	readonly ascii: boolean;
	/** Said once on the line above the keys, e.g. that a row has no dashboard. */
	readonly message?: string;
};

const UNICODE = {bars: ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'], pointer: '›', dot: '·'};
const ASCII = {bars: ['_', '.', '-', '~', '=', '+', '*', '#'], pointer: '>', dot: '|'};

function title(snapshot: CompareSnapshot, dot: string): string {
	const {settings, rows} = snapshot;
	const clients =
		settings.clients.min === settings.clients.max
			? `${settings.clients.min}`
			: `${settings.clients.min}-${settings.clients.max}`;
	return [
		`compare ${rows.length} servers`,
		`${clients} clients each × ${settings.rate}/s`,
		`work ${settings.workMs}ms`,
		`delay ${settings.delayMs}ms`,
		`pool ${settings.poolSize}`,
	].join(` ${dot} `);
}

/** What the marks mean, and which rows the load generator limits. */
function legend(snapshot: CompareSnapshot): string {
	const limited = snapshot.rows.filter((row) => row.loadLimited).map((row) => row.name);
	const load =
		limited.length > 0
			? `${LOAD_MARK} load generator at its limit: ${limited.join(', ')}`
			: `${LOAD_MARK} load generator at its limit`;
	return `${BEST_MARK} best  ${TEXT_MARK} tutorial's text, not table  ${load}`;
}

/**
 * The whole compare screen as lines of at most `columns` characters, `rows` lines at most: the
 * table first, then what fits of the tutorial's opinions, the notes, and the keys on the last line.
 */
export function compareScreen(snapshot: CompareSnapshot, options: ScreenOptions): string[] {
	const glyphs = options.ascii ? ASCII : UNICODE;
	const width = options.columns;
	const top = [
		title(snapshot, glyphs.dot),
		...(snapshot.rows.length === 0
			? ['the first figures come a second after the first server listens']
			: tableLines(snapshot, {width, selected: options.selected, ...glyphs})),
	];
	const notes = [
		...(snapshot.starting.length === 0 ? [] : [`starting ${snapshot.starting.join(', ')}`]),
		...snapshot.leftOut.map((out) => `left out ${out.name}: ${out.reason}`),
		...shortfallLines(snapshot),
		...snapshot.notes,
		...(options.message === undefined ? [] : [options.message]),
	];
	const bottom = [
		legend(snapshot),
		...notes,
		options.ascii ? COMPARE_KEYS.replace('↑↓', 'up/down') : COMPARE_KEYS,
	];
	// Too little height: the table and the keys stay, the newest notes take what is left.
	const kept = bottom.slice(-Math.max(1, options.rows - top.length));
	const room = options.rows - top.length - kept.length;
	const opinions =
		snapshot.rows.length > 0 && !columnsFor(width).opinionsBeside
			? ['', ...opinionLines(snapshot, width)]
			: [];
	const middle = opinions.length <= room ? opinions : [];
	const lines = [...top, ...middle];
	const filler = Math.max(0, room - middle.length);
	return [
		...lines.slice(0, options.rows - kept.length),
		...Array.from({length: filler}, () => ''),
		...kept,
	].map((line) => line.slice(0, width).trimEnd());
}

/** The compare screen, drawn: pure, the snapshot in and text out. */
export function CompareView(props: {readonly snapshot: CompareSnapshot} & ScreenOptions) {
	const lines = compareScreen(props.snapshot, props);
	return (
		<Box flexDirection="column">
			{lines.map((line, index) => (
				<Text key={index} bold={index <= 1} wrap="truncate">
					{line === '' ? ' ' : line}
				</Text>
			))}
		</Box>
	);
}
