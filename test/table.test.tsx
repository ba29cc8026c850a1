import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {fitCell, sized, Table, type TableColumn} from '../source/ui/table.js';

// Issue 27, point 3: one table for the screen (connections, threads, processes), ours: ink-table
// measured 4-5 times the CPU per frame (see source/ui/table.tsx).

type Row = {readonly name: string; readonly count: number};
const COLUMNS: TableColumn<Row>[] = [
	{title: 'name', width: 0, align: 'left', cell: (row) => row.name},
	{title: 'n', width: 3, align: 'right', cell: (row) => String(row.count)},
];

test('a cell is cut with the ellipsis and padded on the side its alignment leaves', () => {
	assert.equal(fitCell('127.0.0.1:50110', 8, 'left', '…'), '127.0.0…');
	assert.equal(fitCell('7', 3, 'right', '…'), '  7');
	assert.equal(fitCell('ab', 4, 'left', '~'), 'ab  ');
});

test('a column of width 0 is as wide as its title and its widest cell', () => {
	const rows = [
		{name: 'a', count: 1},
		{name: 'longer', count: 1000},
	];
	assert.deepEqual(
		sized(COLUMNS, rows).map((column) => column.width),
		[6, 3],
	);
	const {lastFrame, unmount} = render(
		<Table columns={COLUMNS} rows={rows} rowKey={(row) => row.name} />,
	);
	assert.equal(lastFrame(), ['name     n', 'a        1', 'longer 10…'].join('\n'));
	unmount();
});
