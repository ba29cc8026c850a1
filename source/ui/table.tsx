import {Box, Text} from '#ink';
import type {ReactNode} from 'react';
import {useGlyphs} from './glyphs.js';

/**
 * The one table of the screen: a bold heading and a line of text per row, each column cut to its
 * width with an ellipsis. Not ink-table: it draws each cell as its own Text between border Texts
 * (19 Yoga nodes a row for 9 columns, against 1 here), and measured 4-5 times the CPU per frame
 * (11 rows: 30 ms against 7.6 ms; 50 rows: 105 against 21; 200 rows: 428 against 88, on this
 * 2-core machine under load); its borders also cost two rows of a 24-row terminal.
 */
export type TableColumn<Row> = {
	readonly title: string;
	/** Columns the cells take; 0: as wide as the widest of the title and the cells. */
	readonly width: number;
	readonly align: 'left' | 'right';
	readonly cell: (row: Row) => string;
	/** A colour for the cell, by its row (a connection's state). */
	readonly color?: (row: Row) => string | undefined;
};

/** Lines a table takes besides its rows: the heading. */
export const TABLE_HEADING = 1;

/** `text` in `width` columns: cut with the ellipsis, padded on the side its alignment leaves. */
export function fitCell(
	text: string,
	width: number,
	align: 'left' | 'right',
	ellipsis: string,
): string {
	const clipped =
		text.length > width ? `${text.slice(0, Math.max(0, width - 1))}${ellipsis}` : text;
	return align === 'right' ? clipped.padStart(width) : clipped.padEnd(width);
}

/** The columns with each width-0 one as wide as its title and its widest cell. */
export function sized<Row>(
	columns: readonly TableColumn<Row>[],
	rows: readonly Row[],
): TableColumn<Row>[] {
	return columns.map((column) =>
		column.width > 0
			? column
			: {
					...column,
					width: Math.max(column.title.length, ...rows.map((row) => column.cell(row).length)),
				},
	);
}

export function Table<Row>({
	columns,
	rows,
	rowKey,
	titles,
	height,
	children,
}: {
	readonly columns: readonly TableColumn<Row>[];
	readonly rows: readonly Row[];
	readonly rowKey: (row: Row, index: number) => string | number;
	/** The heading's words when they differ from the titles (the sort marker). */
	readonly titles?: readonly string[];
	/** Lines the rows take whatever their number; undefined: as many as the rows. */
	readonly height?: number;
	/** Lines after the rows, inside their height (the connections' clients not yet accepted). */
	readonly children?: ReactNode;
}) {
	const {ellipsis} = useGlyphs();
	const widths = sized(columns, rows);
	const heading = widths
		.map((column, index) =>
			fitCell(titles?.[index] ?? column.title, column.width, column.align, ellipsis),
		)
		.join(' ');
	return (
		<>
			<Text bold wrap="truncate">
				{heading}
			</Text>
			<Box flexDirection="column" height={height}>
				{rows.map((row, rowIndex) => (
					<Text key={rowKey(row, rowIndex)} wrap="truncate">
						{widths.map((column, index) => {
							const text =
								fitCell(column.cell(row), column.width, column.align, ellipsis) +
								(index < widths.length - 1 ? ' ' : '');
							const color = column.color?.(row);
							return color === undefined ? (
								text
							) : (
								<Text key={column.title} color={color}>
									{text}
								</Text>
							);
						})}
					</Text>
				))}
				{children}
			</Box>
		</>
	);
}
