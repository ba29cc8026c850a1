#!/usr/bin/env node
/* global console, process */
/**
 * Draws one real frame of the dashboard as SVG, for the top of the readme: the frame
 * scripts/capture-frame.mjs captures (the built CLI in a pseudo-terminal, read back through a
 * headless xterm), with its colours, bold and dim, each run of one style a <text> element of
 * monospace text, XML-escaped, placed at its column. Needs `npm run build` first and the dev
 * dependencies. Takes capture-frame's flags, and --out FILE (default docs/dashboard.svg):
 *
 *   node scripts/capture-svg.mjs --clients 14 --mode pool --rate 5 --seconds 6
 */
import {writeFileSync} from 'node:fs';
import {captureOptions, captureScreen} from './capture.mjs';

const CELL_WIDTH = 8.4;
const CELL_HEIGHT = 17;
const FONT_SIZE = 14;
const BACKGROUND = '#1d1f21';
const FOREGROUND = '#d0d0d0';
/** xterm's first 16 colours, as a dark theme draws them. */
const ANSI = [
	'#1d1f21',
	'#cc6666',
	'#8abeb7',
	'#f0c674',
	'#81a2be',
	'#b294bb',
	'#8abeb7',
	'#c5c8c6',
	'#666666',
	'#d54e53',
	'#b9ca4a',
	'#e7c547',
	'#7aa6da',
	'#c397d8',
	'#70c0b1',
	'#eaeaea',
];

const hex = (value) => `#${value.toString(16).padStart(6, '0')}`;

/** A 256-colour palette index as xterm draws it: 16 named, a 6x6x6 cube, 24 greys. */
function paletteColour(index) {
	if (index < 16) return ANSI[index];
	if (index < 232) {
		const level = (step) => (step === 0 ? 0 : 55 + step * 40);
		const cube = index - 16;
		const rgb = [Math.floor(cube / 36), Math.floor(cube / 6) % 6, cube % 6].map(level);
		return hex((rgb[0] << 16) | (rgb[1] << 8) | rgb[2]);
	}
	const grey = 8 + (index - 232) * 10;
	return hex((grey << 16) | (grey << 8) | grey);
}

function colour(cell, which) {
	const rgb = which === 'fg' ? cell.isFgRGB() : cell.isBgRGB();
	const palette = which === 'fg' ? cell.isFgPalette() : cell.isBgPalette();
	const value = which === 'fg' ? cell.getFgColor() : cell.getBgColor();
	if (rgb) return hex(value);
	if (palette) return paletteColour(value);
	return null;
}

/** The style of a cell: colours after inverse, bold, dim. */
function styleOf(cell) {
	let fg = colour(cell, 'fg') ?? FOREGROUND;
	let bg = colour(cell, 'bg');
	if (cell.isInverse()) [fg, bg] = [bg ?? BACKGROUND, fg];
	return {fg, bg, bold: cell.isBold() !== 0, dim: cell.isDim() !== 0};
}

const escape = (text) =>
	text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** Each row as runs of one style: {column, text, style}. */
function runsOf(buffer, cols, rows) {
	const lines = [];
	for (let row = 0; row < rows; row++) {
		const line = buffer.getLine(buffer.viewportY + row);
		const runs = [];
		for (let column = 0; column < cols; column++) {
			const cell = line?.getCell(column);
			if (!cell || cell.getWidth() === 0) continue;
			const style = styleOf(cell);
			const text = cell.getChars() || ' ';
			const last = runs.at(-1);
			if (last && JSON.stringify(last.style) === JSON.stringify(style)) last.text += text;
			else runs.push({column, text, style});
		}
		lines.push(runs);
	}
	return lines;
}

function svgOf(lines, cols, rows) {
	const width = Math.ceil(cols * CELL_WIDTH);
	const height = rows * CELL_HEIGHT;
	const shapes = [];
	lines.forEach((runs, row) => {
		const top = row * CELL_HEIGHT;
		for (const {column, text, style} of runs) {
			const x = (column * CELL_WIDTH).toFixed(1);
			const length = [...text].length;
			if (style.bg)
				shapes.push(
					`<rect x="${x}" y="${top}" width="${(length * CELL_WIDTH).toFixed(1)}" height="${CELL_HEIGHT}" fill="${style.bg}"/>`,
				);
			if (text.trim() === '') continue;
			const attributes = [
				`x="${x}"`,
				`y="${top + FONT_SIZE - 1}"`,
				`textLength="${(length * CELL_WIDTH).toFixed(1)}"`,
				`fill="${style.fg}"`,
				...(style.bold ? ['font-weight="bold"'] : []),
				...(style.dim ? ['opacity="0.6"'] : []),
			];
			shapes.push(`<text ${attributes.join(' ')}>${escape(text)}</text>`);
		}
	});
	return [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace" font-size="${FONT_SIZE}" xml:space="preserve" lengthAdjust="spacingAndGlyphs">`,
		`<rect width="100%" height="100%" fill="${BACKGROUND}"/>`,
		...shapes,
		'</svg>',
		'',
	].join('\n');
}

const options = captureOptions(undefined, {out: 'docs/dashboard.svg'});
const svg = await captureScreen(options, (buffer, {cols, rows}) =>
	svgOf(runsOf(buffer, cols, rows), cols, rows),
);
if (!svg.includes('<text')) {
	console.error(`the screen was still empty after ${options.seconds} s: try more --seconds`);
	process.exit(1);
}
writeFileSync(options.out, svg);
console.log(`${options.out}: ${svg.length} bytes`);
