/**
 * The last `width` values as bar characters, scaled to the largest of them (or to `scaleMax`, so
 * that several lines share one scale); padded on the left.
 */
export function sparkline(
	values: readonly number[],
	width: number,
	bars: readonly string[],
	scaleMax?: number,
): string {
	const shown = values.slice(-width);
	const max = scaleMax ?? Math.max(0, ...shown);
	const top = bars.length - 1;
	const line = shown
		.map((value) =>
			max === 0 ? ' ' : bars[Math.min(top, Math.floor((value / max) * bars.length))],
		)
		.join('');
	return line.padStart(width, ' ');
}
