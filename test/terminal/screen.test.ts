import assert from 'node:assert/strict';
import {test} from 'node:test';
import xterm from '@xterm/headless';
import {
	blankGrid,
	diffGrids,
	graphemeWidth,
	parseFrame,
	type Grid,
} from '../../source/terminal/screen.js';
import stringWidth from 'string-width';
import {isColorDisabled, isUnicodeSafe} from '../../source/terminal/capabilities.js';
import {NARROW_TEXT} from '../../source/terminal/narrow.js';

const {Terminal} = xterm;

/** Applies bytes to an emulated terminal with autowrap off, as the layer runs it, and reads it back. */
async function show(
	term: InstanceType<typeof Terminal>,
	bytes: string,
): Promise<{lines: string[]; baseY: number}> {
	await new Promise<void>((resolve) => {
		term.write(bytes, resolve);
	});
	const buffer = term.buffer.active;
	const lines: string[] = [];
	for (let y = 0; y < term.rows; y++) {
		lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(false) ?? '');
	}
	return {lines, baseY: buffer.baseY};
}

const gridText = (grid: Grid): string[] => grid.chars.map((row) => row.join(''));

test('parseFrame clips to the window instead of wrapping or scrolling', () => {
	const grid = parseFrame('abcdefgh\n12345678\nxyz\nextra row', 5, 3);
	assert.deepEqual(gridText(grid), ['abcde', '12345', 'xyz  ']);
});

test('parseFrame clips styled runs of plain ASCII, and what follows them, at the last column', () => {
	const bold = (text: string) => `\u001B[1m${text}\u001B[22m`;
	const frame = `${bold('abcdefgh')}XY\n│${bold('ab')}╮z\n${bold('12')}漢${bold('345')}\n${bold('no row')}`;
	const grid = parseFrame(frame, 5, 3);
	assert.deepEqual(gridText(grid), ['abcde', '│ab╮z', '12漢3']);
	assert.deepEqual(grid.styles[0], ['1', '1', '1', '1', '1']);
	assert.deepEqual(grid.styles[2], ['1', '1', '', '', '1']);
});

test('every character of NARROW_TEXT is one column by string-width, no emoji, and combines with nothing', () => {
	const narrow: string[] = [];
	for (let code = 0; code <= 0xffff; code++) {
		const char = String.fromCharCode(code);
		if (NARROW_TEXT.test(char)) narrow.push(char);
	}
	assert.ok(narrow.length > 95 + 100, `${narrow.length} characters`);
	const wrong = narrow.filter(
		(char) =>
			stringWidth(char) !== 1 ||
			/\p{Extended_Pictographic}|\p{Mark}|\p{Default_Ignorable_Code_Point}|\p{Regional_Indicator}/u.test(
				char,
			),
	);
	assert.deepEqual(wrong, []);
	// Measured as a whole, such text is as wide as it is long: what the bundle's shortcut returns.
	const line = narrow.join('');
	assert.equal(stringWidth(line), line.length);
	assert.equal(NARROW_TEXT.test('a\u0301'), false, 'a combining mark is not narrow text');
	assert.equal(NARROW_TEXT.test('→\uFE0F'), false, 'nor a variation selector');
});

test('parseFrame keeps styles per cell and strips colour when asked', () => {
	const frame = '\u001B[1m\u001B[32mok\u001B[39m\u001B[22m \u001B[38;5;196mred\u001B[0m';
	const coloured = parseFrame(frame, 8, 1);
	assert.deepEqual(coloured.styles[0]!.slice(0, 7), [
		'1;32',
		'1;32',
		'',
		'38;5;196',
		'38;5;196',
		'38;5;196',
		'',
	]);
	const mono = parseFrame(frame, 8, 1, {noColor: true});
	assert.deepEqual(mono.styles[0]!.slice(0, 7), ['1', '1', '', '', '', '', '']);
});

test('parseFrame gives wide characters two cells and never half of one', () => {
	const grid = parseFrame('a漢b\nxyz漢', 4, 2);
	assert.deepEqual(grid.chars[0], ['a', '漢', '', 'b']);
	assert.deepEqual(grid.chars[1], ['x', 'y', 'z', ' ']);
});

test('diffGrids writes nothing when nothing changed', () => {
	const frame = 'hello\n\u001B[31mworld\u001B[0m';
	assert.equal(diffGrids(parseFrame(frame, 10, 3), parseFrame(frame, 10, 3)), '');
});

test('diffGrids writes only the changed cells', () => {
	const before = parseFrame('rate 1234 msg/s\nsecond line', 40, 2);
	const after = parseFrame('rate 1299 msg/s\nsecond line', 40, 2);
	const bytes = diffGrids(before, after);
	assert.equal(bytes, '\u001B[1;8H99');
});

test('diffGrids output reproduces every frame on a real emulator, without scrolling', async () => {
	const cols = 30;
	const rows = 8;
	const term = new Terminal({cols, rows, allowProposedApi: true});
	await show(term, '\u001B[?7l');
	let shown: Grid | undefined;
	let seed = 7;
	const random = (n: number): number => {
		seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
		return seed % n;
	};
	const words = [
		'alpha',
		'beta',
		'漢字',
		'\u001B[32mgreen\u001B[39m',
		'▁▂▃▅▇',
		'',
		'   ',
		'x'.repeat(40),
	];
	for (let frame = 0; frame < 60; frame++) {
		const lines: string[] = [];
		for (let y = 0; y < rows + (frame % 3); y++) {
			const parts = Array.from({length: random(5)}, () => words[random(words.length)]!);
			lines.push(parts.join(' '));
		}
		const next = parseFrame(lines.join('\n'), cols, rows);
		const screen = await show(term, diffGrids(shown, next));
		shown = next;
		assert.deepEqual(screen.lines, gridText(next), `frame ${frame}`);
		assert.equal(screen.baseY, 0, 'nothing scrolled');
	}
	term.dispose();
});

test('diffGrids from an unknown screen draws every row', async () => {
	const term = new Terminal({cols: 10, rows: 3, allowProposedApi: true});
	await show(term, 'garbage everywhere and more garbage');
	const next = parseFrame('one\ntwo', 10, 3);
	const screen = await show(term, '\u001B[?7l' + diffGrids(undefined, next));
	assert.deepEqual(screen.lines, ['one       ', 'two       ', '          ']);
	assert.deepEqual(gridText(blankGrid(2, 1)), ['  ']);
	term.dispose();
});

test('isUnicodeSafe follows the locale and TERM', () => {
	assert.equal(isUnicodeSafe({LANG: 'en_US.UTF-8', TERM: 'xterm-256color'}), true);
	assert.equal(isUnicodeSafe({LC_ALL: 'C', LANG: 'en_US.UTF-8', TERM: 'xterm'}), false);
	assert.equal(isUnicodeSafe({LC_CTYPE: 'C.utf8', TERM: 'screen'}), true);
	assert.equal(isUnicodeSafe({LANG: 'en_US.UTF-8', TERM: 'linux'}), false);
	assert.equal(isUnicodeSafe({LANG: 'en_US.UTF-8', TERM: 'dumb'}), false);
	assert.equal(isUnicodeSafe({}), false);
});

test('isColorDisabled honours NO_COLOR and the option', () => {
	assert.equal(isColorDisabled({}), false);
	assert.equal(isColorDisabled({NO_COLOR: '1'}), true);
	assert.equal(isColorDisabled({NO_COLOR: ''}), false);
	assert.equal(isColorDisabled({}, true), true);
});

test('graphemeWidth is the width Ink lays out with (string-width): emoji, flags, East Asian, controls', () => {
	const cases: ReadonlyArray<[string, number]> = [
		['a', 1],
		['中', 2],
		['⚡', 2],
		['✅', 2],
		['⏰', 2],
		['🇫🇷', 2],
		['\u0301', 0],
		['\u200B', 0],
		['\u0007', 0],
	];
	for (const [grapheme, width] of cases) {
		assert.equal(graphemeWidth(grapheme), width, JSON.stringify(grapheme));
		assert.equal(graphemeWidth(grapheme), Math.min(stringWidth(grapheme), 2));
	}
});
