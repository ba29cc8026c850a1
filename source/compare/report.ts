import type {CompareSnapshot} from './figures.js';
import {BEST_MARK, LOAD_MARK, markdownLines, tableLines, TEXT_MARK} from './layout.js';

/** Wide enough for every column and the tutorial's words beside them. */
const REPORT_WIDTH = 200;

function footer(snapshot: CompareSnapshot, best: string): string[] {
	return [
		'',
		`${best} best in its column; ${TEXT_MARK} the tutorial's text, not its table (it has no row for the model); ${LOAD_MARK} the load generator used most of a core: the clients were the limit`,
		...snapshot.leftOut.map((out) => `left out ${out.name}: ${out.reason}`),
		...snapshot.notes,
	];
}

/** The last second's table, for a report: `--duration S` prints it when the comparison ends. */
export function formatFinal(
	last: CompareSnapshot,
	format: 'text' | 'markdown',
	command: string,
): string {
	// One second of replies is a noisy figure on a busy machine: the report gives the run's mean.
	const snapshot = {
		...last,
		rows: last.rows.map((row) => ({
			...row,
			messagesPerSec:
				row.history.length === 0
					? row.messagesPerSec
					: row.history.reduce((sum, value) => sum + value, 0) / row.history.length,
		})),
	};
	const seconds = Math.max(0, ...snapshot.rows.map((row) => row.history.length));
	const {settings} = snapshot;
	const about = `${snapshot.rows.length} servers, ${settings.clients.max} clients each × ${settings.rate}/s, work ${settings.workMs} ms, delay ${settings.delayMs} ms, pool ${settings.poolSize}; msg/s: the mean of the last ${seconds} s, the other figures of the last second; CPU in % of one core, summed over the server's processes; load: the row's test-client process`;
	if (format === 'markdown') {
		return [
			`Measured with \`${command}\`: ${about}.`,
			'',
			...markdownLines(snapshot),
			...footer(snapshot, '**bold**'),
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
		...footer(snapshot, BEST_MARK),
	].join('\n');
}
