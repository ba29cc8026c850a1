const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const ASCII = ['_', '.', '-', '~', '=', '+', '*', '#'];

/** The last `width` values as bar characters, scaled to the largest of them; padded on the left. */
export function sparkline(values: readonly number[], width: number, ascii = false): string {
	const bars = ascii ? ASCII : BLOCKS;
	const shown = values.slice(-width);
	const max = Math.max(0, ...shown);
	const line = shown
		.map((value) =>
			max === 0 ? ' ' : bars[Math.min(bars.length - 1, Math.floor((value / max) * bars.length))],
		)
		.join('');
	return line.padStart(width, ' ');
}
