import {formatBytes, formatCount, formatDuration} from '../shared/format.js';
import type {TutorialOpinion} from '../server/mode.js';
import {MODES} from '../server/modes/index.js';
import {sparkline} from '../ui/sparkline.js';
import type {BestColumn, CompareSnapshot, RowFigures} from './figures.js';
import {bestColumns} from './figures.js';

/** Marks the best figure of a column. */
export const BEST_MARK = '*';
/** Marks a row whose load generator is near a full core. */
export const LOAD_MARK = '!';
/** Marks the tutorial's words taken from its text: its comparison table has no row for the model. */
export const TEXT_MARK = '~';
const NAME_WIDTH = 10;
const SPARK_MIN = 6;
const SPARK_MAX = 60;

type Column = {
	readonly title: string;
	/** Width of the value; the cell adds a space before it and the best mark after it. */
	readonly width: number;
	readonly value: (row: RowFigures) => string;
	readonly best?: BestColumn;
};

const ms = (value: number | null) => (value === null ? '-' : formatDuration(value));
const count = (value: number | null) => (value === null ? '-' : formatCount(value));
const percent = (value: number | null) => (value === null ? '-' : `${Math.round(value)}%`);

/** The measured columns every width shows, in order. */
const MEASURED: readonly Column[] = [
	{
		title: 'msg/s',
		width: 5,
		value: (row) => formatCount(row.messagesPerSec),
		best: 'messagesPerSec',
	},
	{title: 'p50', width: 6, value: (row) => ms(row.p50Ms), best: 'p50Ms'},
	{title: 'p99', width: 6, value: (row) => ms(row.p99Ms), best: 'p99Ms'},
	{
		title: '1st',
		width: 6,
		// `>`: a client still waits for its first reply, this long so far.
		value: (row) => `${row.firstReplyPending ? '>' : ''}${ms(row.slowestFirstReplyMs)}`,
		best: 'slowestFirstReplyMs',
	},
	{
		title: 'wait',
		width: 4,
		// Every client still without a reply: connected and waiting, or refused and trying again.
		value: (row) => formatCount(row.clients.unanswered),
		best: 'waiting',
	},
	{title: 'thr', width: 4, value: (row) => count(row.osThreads), best: 'osThreads'},
	{title: 'prc', width: 3, value: (row) => count(row.processes), best: 'processes'},
	{
		title: 'RSS',
		width: 5,
		value: (row) => (row.rssBytes === null ? '-' : formatBytes(row.rssBytes)),
		best: 'rssBytes',
	},
	{title: 'CPU', width: 4, value: (row) => percent(row.cpuPercent), best: 'cpuPercent'},
];

/** The measured columns a terminal narrower than 80 columns leaves out, in this order. */
const DROPPED_FIRST = ['prc', 'p50', 'RSS', 'CPU', 'thr'];

/** Shown when the terminal is wide enough: the load generator's own CPU. */
const LOAD: Column = {title: 'load', width: 4, value: (row) => percent(row.loadCpuPercent)};

type Opinion = {
	readonly title: string;
	readonly width: number;
	readonly key: keyof TutorialOpinion;
};
const OPINIONS: readonly Opinion[] = [
	{title: 'scalability', width: 15, key: 'scalability'},
	{title: 'complexity', width: 10, key: 'complexity'},
	{title: 'best for', width: 30, key: 'bestFor'},
];

const cellWidth = (column: Column) => column.width + 2;
const opinionsWidth = OPINIONS.reduce((sum, opinion) => sum + opinion.width + 1, 1);

/** Which columns fit in `width`, and how wide the sparkline is. */
export function columnsFor(width: number): {
	readonly columns: readonly Column[];
	readonly spark: number;
	/** The tutorial's columns on the same line; otherwise in a block of their own below. */
	readonly opinionsBeside: boolean;
} {
	// Narrower than 80 columns: the least telling columns go first, and the trend keeps its minimum.
	let measured = MEASURED;
	const widthOf = (columns: readonly Column[]) =>
		2 + NAME_WIDTH + columns.reduce((sum, column) => sum + cellWidth(column), 0) + 1;
	for (const title of DROPPED_FIRST) {
		if (widthOf(measured) + SPARK_MIN <= width) break;
		measured = measured.filter((column) => column.title !== title);
	}
	const fixed = widthOf(measured);
	const withLoad = width - fixed - cellWidth(LOAD) >= SPARK_MIN + 4;
	const columns = withLoad ? [...measured, LOAD] : measured;
	const left = width - fixed - (withLoad ? cellWidth(LOAD) : 0);
	const opinionsBeside = left - opinionsWidth >= SPARK_MIN + 4;
	const spark = Math.max(
		SPARK_MIN,
		Math.min(SPARK_MAX, left - (opinionsBeside ? opinionsWidth + 1 : 0)),
	);
	return {columns, spark, opinionsBeside};
}

const fit = (text: string, width: number) =>
	text.length > width ? text.slice(0, width) : text.padEnd(width);

function opinionOf(row: RowFigures): TutorialOpinion | null {
	return row.mode === null ? null : MODES[row.mode].tutorial;
}

/** The tutorial's words for the row's model, after a `~` where they come from its text, not its table. */
function opinionCells(row: RowFigures): string {
	const opinion = opinionOf(row);
	const cells = OPINIONS.map((column) =>
		fit(opinion === null ? '(outside server)' : String(opinion[column.key]), column.width),
	);
	return ' ' + (opinion?.from === 'text' ? TEXT_MARK : ' ') + cells.join(' ');
}

export type TableOptions = {
	readonly width: number;
	/** Index of the picked row; -1: none. */
	readonly selected: number;
	readonly bars: readonly string[];
	readonly pointer: string;
};

/** The header and a line per row, `width` characters at most. */
export function tableLines(snapshot: CompareSnapshot, options: TableOptions): string[] {
	const {columns, spark, opinionsBeside} = columnsFor(options.width);
	const marks = bestColumns(snapshot.rows);
	// One scale for every row's trend: 2 msg/s is a low bar beside 28.
	const scaleMax = Math.max(0, ...snapshot.rows.flatMap((row) => row.history.slice(-spark)));
	const header =
		'  ' +
		'server'.padEnd(NAME_WIDTH) +
		columns.map((column) => ` ${column.title.padStart(column.width)} `).join('') +
		' ' +
		(spark >= 18 ? 'msg/s, last minute' : 'trend').slice(0, spark).padEnd(spark) +
		(opinionsBeside ? '  ' + OPINIONS.map((o) => fit(o.title, o.width)).join(' ') : '');
	const lines = snapshot.rows.map((row, index) => {
		const cells = columns.map((column) => {
			const best = column.best !== undefined && marks[index]!.has(column.best);
			return ` ${fit(column.value(row), column.width).trimEnd().padStart(column.width)}${best ? BEST_MARK : ' '}`;
		});
		return (
			(index === options.selected ? options.pointer : ' ') +
			(row.loadLimited ? LOAD_MARK : ' ') +
			fit(row.name, NAME_WIDTH) +
			cells.join('') +
			' ' +
			sparkline(row.history, spark, options.bars, scaleMax) +
			(opinionsBeside ? opinionCells(row) : '')
		);
	});
	return [header, ...lines].map((line) => line.slice(0, options.width).trimEnd());
}

/**
 * A line for each row whose server is not responding now, and for each row whose figures leave
 * clients out: how many of its clients have no reply on their connection (and so no `mark`, the
 * best mark as the output draws it: `*` on a screen, `best mark` where bold is the mark), the cap
 * it refuses beyond, and the connections it refused.
 */
export function shortfallLines(snapshot: CompareSnapshot, mark: string = BEST_MARK): string[] {
	return snapshot.rows.flatMap((row) => {
		// Said while it lasts: a server that answers again has no such line.
		const stalled =
			row.notRespondingMs === null
				? []
				: [`${row.name}: server process not responding for ${formatDuration(row.notRespondingMs)}`];
		const {unanswered, total} = row.clients;
		const refused = row.refusedTotal ?? 0;
		if (unanswered === 0 && refused === 0) return stalled;
		return [
			...stalled,
			[
				`${row.name}: ${formatCount(unanswered)}/${formatCount(total)} unanswered, no ${mark} but msg/s`,
				...(row.cap === null ? [] : [`cap ${row.cap}`]),
				...(refused > 0 ? [`${formatCount(refused)} refused`] : []),
			].join('; '),
		];
	});
}

/** The tutorial's opinions as a block of their own, for terminals too narrow to show them beside. */
export function opinionLines(snapshot: CompareSnapshot, width: number): string[] {
	const header = `  ${'tutorial'.padEnd(NAME_WIDTH)}  ${OPINIONS.map((o) => fit(o.title, o.width)).join(' ')}`;
	const lines = snapshot.rows.map((row) => `  ${fit(row.name, NAME_WIDTH)}${opinionCells(row)}`);
	return [header, ...lines].map((line) => line.slice(0, width).trimEnd());
}

/** The final table in Markdown: every column, the best figures in bold. */
export function markdownLines(snapshot: CompareSnapshot): string[] {
	const marks = bestColumns(snapshot.rows);
	const columns = [...MEASURED, LOAD];
	const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
	return [
		line(['server', ...columns.map((column) => column.title), ...OPINIONS.map((o) => o.title)]),
		line(['---', ...columns.map(() => '---:'), ...OPINIONS.map(() => '---')]),
		...snapshot.rows.map((row, index) => {
			const opinion = opinionOf(row);
			const words = (key: keyof TutorialOpinion) =>
				opinion === null
					? '(outside server)'
					: `${opinion.from === 'text' && key === 'scalability' ? TEXT_MARK : ''}${opinion[key]}`;
			return line([
				`${row.name}${row.loadLimited ? ` ${LOAD_MARK}` : ''}`,
				...columns.map((column) => {
					const value = column.value(row);
					return column.best !== undefined && marks[index]!.has(column.best)
						? `**${value}**`
						: value;
				}),
				...OPINIONS.map((o) => words(o.key)),
			]);
		}),
	];
}
