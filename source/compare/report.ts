import type {CompareSnapshot} from './figures.js';
import type {CompareSummary} from './session.js';
import {
	BEST_MARK,
	LOAD_MARK,
	markdownLines,
	shortfallLines,
	tableLines,
	TEXT_MARK,
} from './layout.js';

/** Wide enough for every column and the tutorial's words beside them. */
const REPORT_WIDTH = 200;

/** The legend and the lines under the table; `best` is how the output marks a column's best figure. */
function footer(snapshot: CompareSnapshot, best: {legend: string; words: string}): string[] {
	return [
		'',
		`${best.legend} best in its column; ${TEXT_MARK} the tutorial's text, not its table (it has no row for the model); ${LOAD_MARK} the load generator used most of a core: the clients were the limit`,
		...snapshot.leftOut.map((out) => `left out ${out.name}: ${out.reason}`),
		...shortfallLines(snapshot, best.words),
		...snapshot.notes,
	];
}

/** How the window was measured, in words: the start-up left out, msg/s the mean, p50 and p99 over it all. */
function windowWords(summary: CompareSummary): string {
	if (summary.windowStart === null)
		return 'no measured window: the run ended before every server listened; the figures are of the last second';
	return `measured over ${summary.seconds.toFixed(1)} s from when every server listened (the ${summary.startupS.toFixed(1)} s start-up left out): msg/s the replies over it, p50 and p99 over every round trip in it, refusals within it; 1st, wait and the server's figures of the last second`;
}

/** The final table, for a report: `--duration S` prints it when the comparison ends. */
export function formatFinal(
	summary: CompareSummary,
	format: 'text' | 'markdown',
	command: string,
): string {
	const {snapshot} = summary;
	const {settings} = snapshot;
	const about = `${snapshot.rows.length} servers, ${settings.clients.max} clients each × ${settings.rate}/s, work ${settings.workMs} ms, delay ${settings.delayMs} ms, pool ${settings.poolSize}; ${windowWords(summary)}; CPU in % of one core, summed over the server's processes; load: the row's test-client process`;
	if (format === 'markdown') {
		return [
			`Measured with \`${command}\`: ${about}.`,
			'',
			...markdownLines(snapshot),
			...footer(snapshot, {legend: '**bold**', words: 'best mark'}),
		].join('\n');
	}
	return [
		`${command}: ${about}`,
		'',
		...tableLines(snapshot, {
			width: REPORT_WIDTH,
			selected: -1,
			bars: ['_', '.', '-', '~', '=', '+', '*', '#'],
			pointer: ' ',
		}),
		...footer(snapshot, {legend: BEST_MARK, words: BEST_MARK}),
	].join('\n');
}
