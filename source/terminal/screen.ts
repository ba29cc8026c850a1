/**
 * A cell grid of one frame, parsed from the ANSI text Ink renders, and the minimal byte string that turns
 * one grid into the next on a real terminal (as curses does): only changed cells are written, with
 * absolute cursor positioning, never a newline and never past the last row or column.
 */

import {asciiFor} from './ascii.js';
import {NARROW_TEXT} from './narrow.js';
import stringWidth from 'string-width';

const esc = '\u001B';

/** One frame as the terminal should show it: `rows` rows of exactly `cols` cells each. */
export type Grid = {
	readonly cols: number;
	readonly rows: number;
	/** Per row, per column: the grapheme shown, `''` for the right half of a wide character. */
	readonly chars: string[][];
	/** Per row, per column: the full SGR state as canonical parameters (`''` is the default style). */
	readonly styles: string[][];
};

export type ParseOptions = {
	/** Drop foreground and background colours, keep bold, inverse and the like. */
	readonly noColor?: boolean;
	/** Only ASCII reaches the grid: every other grapheme becomes an ASCII stand-in of its width. */
	readonly ascii?: boolean;
};

type Sgr = {
	flags: Set<string>;
	fg: string | undefined;
	bg: string | undefined;
};

const flagOff: Record<string, string[]> = {
	'21': ['1'],
	'22': ['1', '2'],
	'23': ['3'],
	'24': ['4'],
	'25': ['5'],
	'27': ['7'],
	'28': ['8'],
	'29': ['9'],
};

function applySgr(state: Sgr, parameters: string, noColor: boolean): void {
	const tokens = parameters === '' ? ['0'] : parameters.split(';');
	for (let i = 0; i < tokens.length; i++) {
		const token = tokens[i] ?? '0';
		const head = token.split(':')[0] ?? '';
		const n = head === '' ? 0 : Number(head);
		if (n === 0) {
			state.flags.clear();
			state.fg = undefined;
			state.bg = undefined;
		} else if (n === 38 || n === 48) {
			let colour = token;
			if (!token.includes(':')) {
				// 38;5;n or 38;2;r;g;b: swallow the following parameters.
				const kind = tokens[i + 1];
				const take = kind === '5' ? 2 : kind === '2' ? 4 : 0;
				colour = tokens.slice(i, i + 1 + take).join(';');
				i += take;
			}
			if (!noColor) {
				if (n === 38) state.fg = colour;
				else state.bg = colour;
			}
		} else if (n === 39) {
			state.fg = undefined;
		} else if (n === 49) {
			state.bg = undefined;
		} else if ((n >= 30 && n <= 37) || (n >= 90 && n <= 97)) {
			if (!noColor) state.fg = head;
		} else if ((n >= 40 && n <= 47) || (n >= 100 && n <= 107)) {
			if (!noColor) state.bg = head;
		} else if (n >= 1 && n <= 9) {
			state.flags.add(String(n));
		} else if (flagOff[head]) {
			for (const flag of flagOff[head]) state.flags.delete(flag);
		}
	}
}

function styleKey(state: Sgr): string {
	const parts = [...state.flags].sort();
	if (state.fg !== undefined) parts.push(state.fg);
	if (state.bg !== undefined) parts.push(state.bg);
	return parts.join(';');
}

const segmenter = new Intl.Segmenter('en', {granularity: 'grapheme'});
/**
 * Widths measured so far: string-width costs microseconds per call, and a frame is 2,000 cells and
 * more of a few dozen graphemes (box lines, blocks). Bounded: text from the network can bring any.
 */
const widths = new Map<string, number>();
const MAX_WIDTHS = 4096;

/**
 * Columns a grapheme takes on a terminal: 0, 1 or 2, measured by string-width, the function Ink lays
 * out with, so the grid and Ink agree on every emoji, flag and East Asian character.
 */
export function graphemeWidth(grapheme: string): number {
	let width = widths.get(grapheme);
	if (width === undefined) {
		width = Math.min(stringWidth(grapheme), 2);
		if (widths.size >= MAX_WIDTHS) widths.clear();
		widths.set(grapheme, width);
	}
	return width;
}

/** An empty grid: every cell a space in the default style. */
export function blankGrid(cols: number, rows: number): Grid {
	const chars: string[][] = [];
	const styles: string[][] = [];
	for (let y = 0; y < rows; y++) {
		chars.push(Array.from({length: cols}, () => ' '));
		styles.push(Array.from({length: cols}, () => ''));
	}
	return {cols, rows, chars, styles};
}

// CSI with parameters and final byte, OSC up to BEL or ST, or any other two-byte escape.
const token =
	// eslint-disable-next-line no-control-regex
	/\u001B\[([0-9:;<=>?]*)[ -/]*([@-~])|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)?|\u001B[^[\]]?|([^\u001B]+)/gu;

/** Text of printable ASCII only: no line break, tab, combining mark or wide character in it. */
const printableAscii = /^[\u0020-\u007E]*$/;

/** Where the next grapheme goes, and in what style. */
type Pen = {x: number; y: number; style: string};

/** Moves the pen for a line break, carriage return or tab; false for any other grapheme. */
function control(pen: Pen, segment: string, cols: number): boolean {
	if (segment === '\n' || segment === '\r\n') {
		pen.y++;
		pen.x = 0;
	} else if (segment === '\r') pen.x = 0;
	else if (segment === '\t') pen.x = Math.min(cols, (Math.floor(pen.x / 8) + 1) * 8);
	else return false;
	return true;
}

/** Writes `char` in the pen's style into the cell under it (or `right` of it). */
function put(grid: Grid, pen: Pen, char: string, right = 0): void {
	grid.chars[pen.y]![pen.x + right] = char;
	grid.styles[pen.y]![pen.x + right] = pen.style;
}

/** Puts one printable grapheme at the pen (on a row of the grid) and moves it past. */
function place(grid: Grid, pen: Pen, segment: string, ascii: boolean): void {
	const width = graphemeWidth(segment);
	if (width === 0 || pen.x >= grid.cols) return;
	if (width === 2 && pen.x + 1 >= grid.cols) {
		// Half a wide character does not fit: show a space instead of spilling over.
		put(grid, pen, ' ');
		pen.x++;
		return;
	}
	if (ascii && (segment.length > 1 || segment.charCodeAt(0) >= 0x7f)) {
		// Each stand-in character takes one cell: a wide grapheme becomes two.
		for (const char of asciiFor(segment, width)) {
			put(grid, pen, char);
			pen.x++;
		}
		return;
	}
	put(grid, pen, segment);
	// The right half of a wide character.
	if (width === 2) put(grid, pen, '', 1);
	pen.x += width;
}

/**
 * Lays out ANSI text (lines separated by `\n`) on a `cols`×`rows` grid. Text beyond the last column or
 * row is dropped, not wrapped; escape sequences other than SGR are ignored.
 */
export function parseFrame(
	frame: string,
	cols: number,
	rows: number,
	options: ParseOptions = {},
): Grid {
	const grid = blankGrid(cols, rows);
	const state: Sgr = {flags: new Set(), fg: undefined, bg: undefined};
	const {noColor = false, ascii = false} = options;
	const pen: Pen = {x: 0, y: 0, style: ''};
	for (const match of frame.matchAll(token)) {
		const [, parameters, final, text] = match;
		if (final === 'm' && parameters !== undefined) {
			applySgr(state, parameters, noColor);
			pen.style = styleKey(state);
			continue;
		}
		if (text === undefined) continue;
		if ((ascii ? printableAscii : NARROW_TEXT).test(text)) {
			// Each character a grapheme of one column: no segmenting, no measuring (most of a frame).
			// As in place(): what goes past the last column is dropped, and the pen stays there.
			if (pen.y >= rows) return grid;
			for (let i = 0; i < text.length && pen.x < cols; i++, pen.x++) put(grid, pen, text[i]!);
			continue;
		}
		for (const {segment} of segmenter.segment(text)) {
			if (control(pen, segment, cols)) continue;
			if (pen.y >= rows) return grid;
			place(grid, pen, segment, ascii);
		}
	}
	return grid;
}

/** SGR that sets exactly this style from any state. */
export function sgr(style: string): string {
	return style === '' ? `${esc}[0m` : `${esc}[0;${style}m`;
}

/**
 * The bytes of one update and where the terminal's cursor and style are after them. Every update ends
 * in the default style; a screen of unknown contents may be in any style (`undefined`).
 */
class Painter {
	out = '';
	x = -1;
	y = -1;
	constructor(public style: string | undefined) {}

	moveTo(x: number, y: number): void {
		if (this.x === x && this.y === y) return;
		const sameRow = this.y === y;
		this.x = x;
		this.y = y;
		// Shortest absolute move: column only (CHA) within the row, row only (CUP) to column 1.
		if (sameRow) this.out += `${esc}[${x + 1}G`;
		else if (x === 0) this.out += `${esc}[${y + 1}H`;
		else this.out += `${esc}[${y + 1};${x + 1}H`;
	}

	setStyle(style: string): void {
		if (this.style === style) return;
		// From the default style, setting attributes needs no reset first.
		this.out += this.style === '' && style !== '' ? `${esc}[${style}m` : sgr(style);
		this.style = style;
	}

	/** Clears from the cursor to the end of the line (EL), in the default style. */
	eraseLine(): void {
		this.setStyle('');
		this.out += `${esc}[K`;
		this.x = -1;
	}

	/** The update, back in the default style. */
	done(): string {
		return this.out !== '' && this.style !== '' ? this.out + sgr('') : this.out;
	}
}

/** One row of the next grid and what the terminal shows there (undefined when unknown). */
type RowChange = {
	readonly chars: readonly string[];
	readonly styles: readonly string[];
	readonly changed: (x: number) => boolean;
	/** Where the row's blank default-style tail starts: erased with EL, not written as spaces. */
	readonly tail: number;
};

/**
 * The end of a run of changed cells from `start`, bridging short unchanged gaps that cost less than a
 * move, and never ending in the middle of a wide character.
 */
function runEnd(row: RowChange, start: number, cols: number): number {
	let end = start;
	let gap = 0;
	for (let i = start; i < cols && gap <= 4; i++) {
		if (row.changed(i) || row.chars[i] === '') {
			end = i + 1;
			gap = 0;
		} else gap++;
	}
	return end < cols && row.chars[end] === '' ? end + 1 : end;
}

/** Paints the changed cells of row `y`. */
function paintRow(painter: Painter, row: RowChange, y: number, cols: number): void {
	let x = 0;
	while (x < cols) {
		if (!row.changed(x)) {
			x++;
			continue;
		}
		let start = x;
		while (start > 0 && row.chars[start] === '') start--;
		painter.moveTo(start, y);
		if (start >= row.tail) {
			// Only blank tail cells changed: clear to end of line once.
			painter.eraseLine();
			return;
		}
		const end = runEnd(row, start, cols);
		const writeEnd = Math.min(end, row.tail);
		for (let i = start; i < writeEnd; i++) {
			if (row.chars[i] === '') continue;
			painter.setStyle(row.styles[i]!);
			painter.out += row.chars[i];
		}
		painter.x = writeEnd >= cols ? -1 : writeEnd;
		if (end > row.tail) {
			painter.eraseLine();
			return;
		}
		x = end;
	}
}

/** Row `y` of `next` against the same row of `old`. */
function rowChange(old: Grid | undefined, next: Grid, y: number): RowChange {
	const chars = next.chars[y]!;
	const styles = next.styles[y]!;
	const oldChars = old?.chars[y];
	const oldStyles = old?.styles[y];
	let tail = next.cols;
	while (tail > 0 && chars[tail - 1] === ' ' && styles[tail - 1] === '') tail--;
	return {
		chars,
		styles,
		changed: (x) =>
			oldChars === undefined || oldChars[x] !== chars[x] || oldStyles![x] !== styles[x],
		tail,
	};
}

/**
 * Bytes that turn `previous` (what the terminal shows, or undefined if unknown) into `next`. Empty when
 * nothing changed. Assumes autowrap is off (DECAWM reset), so writing the last column never scrolls.
 */
export function diffGrids(previous: Grid | undefined, next: Grid): string {
	const old =
		previous && previous.cols === next.cols && previous.rows === next.rows ? previous : undefined;
	const painter = new Painter(old ? '' : undefined);
	for (let y = 0; y < next.rows; y++) paintRow(painter, rowChange(old, next, y), y, next.cols);
	return painter.done();
}
