/**
 * bench's text tables (the comparison table and the memory table), drawn once when the report is
 * printed, by @alcalzone/ink-table (report-table.tsx). The live screen draws its tables itself
 * (source/ui/table.tsx): ink-table measured 4-5 times the CPU per frame there, and a report is
 * drawn once.
 *
 * Ink, React and ink-table are loaded only when a table is drawn: they stay out of `--version`, the
 * dashboard's start and `bench --json`. The geometry is here, so that a report can fit its columns
 * to the terminal without loading them.
 */

import type {TextColumn} from './report-table.js';

export type {TextColumn};

/** Spaces ink-table puts each side of a cell. */
export const CELL_PADDING = 1;

/** The width of a table whose cells are `widths` wide: their padding, and a border each side of each. */
export function tableWidth(widths: readonly number[]): number {
	return widths.reduce((sum, width) => sum + width + 2 * CELL_PADDING + 1, 1);
}

/** The table's lines: a border, the heading, a rule, a line per row, a border. */
export async function drawTable(
	columns: readonly TextColumn[],
	rows: readonly (readonly string[])[],
): Promise<string[]> {
	const widths = columns.map((column, index) =>
		Math.max(column.header.length, ...rows.map((cells) => (cells[index] ?? '').length)),
	);
	const {renderTable} = await import('./report-table.js');
	return renderTable(columns, rows, CELL_PADDING, tableWidth(widths));
}
