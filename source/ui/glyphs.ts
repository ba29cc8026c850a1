import {createContext, useContext} from 'react';

/** The characters the panels draw with: Unicode where the terminal can show it, plain ASCII elsewhere. */
export type Glyphs = {
	readonly border: 'round' | 'classic';
	readonly topLeft: string;
	readonly topRight: string;
	readonly horizontal: string;
	readonly bars: readonly string[];
	readonly sorted: string;
	readonly ellipsis: string;
	readonly dot: string;
	readonly arrow: string;
};

export const UNICODE_GLYPHS: Glyphs = {
	border: 'round',
	topLeft: '╭',
	topRight: '╮',
	horizontal: '─',
	bars: ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'],
	sorted: '▼',
	ellipsis: '…',
	dot: '·',
	arrow: '→',
};

export const ASCII_GLYPHS: Glyphs = {
	border: 'classic',
	topLeft: '+',
	topRight: '+',
	horizontal: '-',
	bars: ['_', '.', '-', '~', '=', '+', '*', '#'],
	sorted: 'v',
	ellipsis: '~',
	dot: '|',
	arrow: '->',
};

export const GlyphsContext = createContext<Glyphs>(UNICODE_GLYPHS);

export function useGlyphs(): Glyphs {
	return useContext(GlyphsContext);
}
