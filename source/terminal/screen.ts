/**
 * A cell grid of one frame, parsed from the ANSI text Ink renders, and the minimal byte string that turns
 * one grid into the next on a real terminal (as curses does): only changed cells are written, with
 * absolute cursor positioning, never a newline and never past the last row or column.
 */

import {asciiFor} from './ascii.js';
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
 * Columns a grapheme takes on a terminal: 0, 1 or 2, measured by string-width, the function Ink lays
 * out with, so the grid and Ink agree on every emoji, flag and East Asian character.
 */
export function graphemeWidth(grapheme: string): number {
	return Math.min(stringWidth(grapheme), 2);
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
	const noColor = options.noColor ?? false;
	const ascii = options.ascii ?? false;
	let style = '';
	let x = 0;
	let y = 0;
	for (const match of frame.matchAll(token)) {
		const [, parameters, final, text] = match;
		if (final === 'm' && parameters !== undefined) {
			applySgr(state, parameters, noColor);
			style = styleKey(state);
			continue;
		}
		if (text === undefined) continue;
		for (const {segment} of segmenter.segment(text)) {
			if (segment === '\n' || segment === '\r\n') {
				y++;
				x = 0;
				continue;
			}
			if (segment === '\r') {
				x = 0;
				continue;
			}
			if (segment === '\t') {
				x = Math.min(cols, (Math.floor(x / 8) + 1) * 8);
				continue;
			}
			if (y >= rows) return grid;
			const width = graphemeWidth(segment);
			if (width === 0 || x >= cols) continue;
			const chars = grid.chars[y]!;
			const styles = grid.styles[y]!;
			if (width === 2 && x + 1 >= cols) {
				// Half a wide character does not fit: show a space instead of spilling over.
				chars[x] = ' ';
				styles[x] = style;
				x++;
				continue;
			}
			if (ascii && (segment.length > 1 || segment.charCodeAt(0) >= 0x7f)) {
				// Each stand-in character takes one cell: a wide grapheme becomes two.
				for (const char of asciiFor(segment, width)) {
					chars[x] = char;
					styles[x] = style;
					x++;
				}
				continue;
			}
			chars[x] = segment;
			styles[x] = style;
			if (width === 2) {
				chars[x + 1] = '';
				styles[x + 1] = style;
			}
			x += width;
		}
	}
	return grid;
}

/** SGR that sets exactly this style from any state. */
export function sgr(style: string): string {
	return style === '' ? `${esc}[0m` : `${esc}[0;${style}m`;
}

type Cursor = {x: number; y: number; style: string | undefined};

function moveTo(cursor: Cursor, x: number, y: number): string {
	if (cursor.x === x && cursor.y === y) return '';
	const sameRow = cursor.y === y;
	cursor.x = x;
	cursor.y = y;
	// Shortest absolute move: column only (CHA) within the row, row only (CUP) to column 1.
	if (sameRow) return `${esc}[${x + 1}G`;
	if (x === 0) return `${esc}[${y + 1}H`;
	return `${esc}[${y + 1};${x + 1}H`;
}

/**
 * Bytes that turn `previous` (what the terminal shows, or undefined if unknown) into `next`. Empty when
 * nothing changed. Assumes autowrap is off (DECAWM reset), so writing the last column never scrolls.
 */
export function diffGrids(previous: Grid | undefined, next: Grid): string {
	const old =
		previous && previous.cols === next.cols && previous.rows === next.rows ? previous : undefined;
	const cols = next.cols;
	// Every update ends in the default style; a screen of unknown contents may be in any style.
	const cursor: Cursor = {x: -1, y: -1, style: old ? '' : undefined};
	let out = '';
	const setStyle = (style: string): void => {
		if (cursor.style !== style) {
			// From the default style, setting attributes needs no reset first.
			out += cursor.style === '' && style !== '' ? `${esc}[${style}m` : sgr(style);
			cursor.style = style;
		}
	};
	for (let y = 0; y < next.rows; y++) {
		const chars = next.chars[y]!;
		const styles = next.styles[y]!;
		const oldChars = old?.chars[y];
		const oldStyles = old?.styles[y];
		const changed = (x: number): boolean =>
			oldChars === undefined || oldChars[x] !== chars[x] || oldStyles![x] !== styles[x];
		// Blank default-style tail of the new row: erased with EL instead of written as spaces.
		let tail = cols;
		while (tail > 0 && chars[tail - 1] === ' ' && styles[tail - 1] === '') tail--;
		let x = 0;
		while (x < cols) {
			if (!changed(x)) {
				x++;
				continue;
			}
			let start = x;
			while (start > 0 && chars[start] === '') start--;
			if (start >= tail) {
				// Only blank tail cells changed: clear to end of line once.
				out += moveTo(cursor, start, y);
				setStyle('');
				out += `${esc}[K`;
				cursor.x = -1;
				break;
			}
			// Extend the run while cells change, bridging short unchanged gaps that cost less than a move.
			let end = start;
			let gap = 0;
			for (let i = start; i < cols && gap <= 4; i++) {
				if (changed(i) || chars[i] === '') {
					end = i + 1;
					gap = 0;
				} else {
					gap++;
				}
			}
			if (end < cols && chars[end] === '') end++;
			const writeEnd = Math.min(end, tail);
			out += moveTo(cursor, start, y);
			for (let i = start; i < writeEnd; i++) {
				if (chars[i] === '') continue;
				setStyle(styles[i]!);
				out += chars[i];
			}
			cursor.x = writeEnd >= cols ? -1 : writeEnd;
			if (end > tail) {
				setStyle('');
				out += `${esc}[K`;
				cursor.x = -1;
				break;
			}
			x = end;
		}
	}
	if (out !== '' && cursor.style !== '') out += sgr('');
	return out;
}
