/**
 * Plain-ASCII stand-ins for what a Unicode frame may hold, for terminals and locales that cannot show
 * it (`LANG=C`, the Linux console). Panels already choose ASCII glyphs of their own; this is the net
 * under every view: text from a table library, Ink's truncation mark, event text with arrows.
 */
const SINGLE: Readonly<Record<string, string>> = {
	'…': '~',
	'·': '|',
	'→': '>',
	'←': '<',
	'↑': '^',
	'↓': 'v',
	'▲': '^',
	'▼': 'v',
	'►': '>',
	'◄': '<',
	'–': '-',
	'—': '-',
	'‘': "'",
	'’': "'",
	'“': '"',
	'”': '"',
	'×': 'x',
	µ: 'u',
	'≤': '<',
	'≥': '>',
	'\u00A0': ' ',
};

/** Box drawing U+2500-U+257F, by shape: lines and corners. */
function boxDrawing(code: number): string | undefined {
	if (code < 0x2500 || code > 0x257f) return undefined;
	// Horizontal lines (light, heavy, double, dashed) and vertical ones; everything else joins lines.
	if ([0x2500, 0x2501, 0x2504, 0x2505, 0x2508, 0x2509, 0x254c, 0x254d, 0x2550].includes(code))
		return '-';
	if ([0x2502, 0x2503, 0x2506, 0x2507, 0x250a, 0x250b, 0x254e, 0x254f, 0x2551].includes(code))
		return '|';
	return '+';
}

/** An ASCII string of the same width for one grapheme of `width` columns (1 or 2). */
export function asciiFor(grapheme: string, width: number): string {
	const code = grapheme.codePointAt(0) ?? 0;
	if (grapheme.length === 1 && code < 0x7f) return grapheme;
	const single =
		SINGLE[grapheme] ?? boxDrawing(code) ?? (code >= 0x2580 && code <= 0x259f ? '#' : undefined);
	if (single !== undefined && width === 1) return single;
	return '?'.repeat(width);
}

/**
 * `text` for an ASCII-only terminal or locale, for text printed once (bench's report): every grapheme
 * beyond ASCII becomes its stand-in, as long as it was. Such text is laid out by length (as ink-table
 * sizes its columns), so every column stays where it was.
 */
export function asciiText(text: string): string {
	let out = '';
	for (const {segment} of new Intl.Segmenter().segment(text))
		out += asciiFor(segment, segment.length);
	return out;
}
