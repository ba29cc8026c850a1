/**
 * The rendering half of text-table.ts: @alcalzone/ink-table through Ink's renderToString. Imported
 * only by text-table.ts, when a text report is printed.
 */
import type {ReactNode} from 'react';
import {renderToString, Text} from '#ink';
import {Table, type CellProps} from '@alcalzone/ink-table';

export type TextColumn = {readonly header: string; readonly left?: boolean};

type Cells = Record<string, string>;

/**
 * ink-table with one rule, under the heading: it draws one before every row, which would double a
 * report's height. Rows are otherwise its own: borders, padding, widths and alignment.
 */
class ReportTable extends Table<Cells> {
	constructor(props: ConstructorParameters<typeof Table<Cells>>[0]) {
		super(props);
		const rule = this.separator;
		// ink-table keys the rule before row i `separator-row-<hash>-<i>`.
		this.separator = (row) => (row.key.endsWith('-0') ? rule(row) : <></>);
	}
}

// No colour and no bold: the report is the same text on a terminal and in a pipe, with no escape
// code (ink-table's own heading is bold blue, its borders bold).
const Plain = ({children}: {readonly children?: ReactNode}) => <Text>{children}</Text>;
const PlainCell = ({children}: CellProps) => <Text>{children}</Text>;

/** The table's lines, `width` wide (what text-table.ts's tableWidth says): with less, Yoga wraps cells. */
export function renderTable(
	columns: readonly TextColumn[],
	rows: readonly (readonly string[])[],
	padding: number,
	width: number,
): string[] {
	const data = rows.map((cells) =>
		Object.fromEntries(columns.map((column, index) => [column.header, cells[index] ?? ''])),
	);
	const text = renderToString(
		<ReportTable
			data={data}
			columns={columns.map((column) => ({
				key: column.header,
				align: column.left ? 'left' : 'right',
			}))}
			padding={padding}
			header={Plain}
			cell={PlainCell}
			skeleton={Plain}
		/>,
		{columns: width},
	);
	return text.split('\n');
}
