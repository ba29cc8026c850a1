import {Box, Text} from '#ink';
import {Fragment, type ReactNode} from 'react';
import {formatDuration} from '../shared/format.js';
import {useGlyphs} from './glyphs.js';

export type PanelProps = {
	readonly title: string;
	readonly width: number;
	readonly height?: number;
	readonly children: ReactNode;
};

/** A bordered box with its title set into the top border, as every panel is drawn. */
export function Panel({title, width, height, children}: PanelProps) {
	const glyphs = useGlyphs();
	const label = ` ${title} `.slice(0, Math.max(0, width - 4));
	const rule = glyphs.horizontal.repeat(Math.max(0, width - 3 - label.length));
	return (
		<Box flexDirection="column" width={width} height={height} flexShrink={0}>
			<Text color="gray" wrap="truncate">
				{glyphs.topLeft + glyphs.horizontal}
				<Text bold color="cyan">
					{label}
				</Text>
				{rule + glyphs.topRight}
			</Text>
			<Box
				flexDirection="column"
				borderStyle={glyphs.border}
				borderTop={false}
				borderColor="gray"
				width={width}
				flexGrow={1}
				overflow="hidden"
			>
				{children}
			</Box>
		</Box>
	);
}

/** A label and its value on one line, the value right-aligned to `width`. */
export function Figure({
	label,
	value,
	width,
	color,
}: {
	readonly label: string;
	readonly value: string;
	readonly width: number;
	readonly color?: string;
}) {
	return (
		<Text wrap="truncate">
			<Text dimColor>{label}</Text>
			<Text color={color}>{` ${value}`.padStart(Math.max(0, width - label.length))}</Text>
		</Text>
	);
}

/** A dim label and the value after it; the value a string, or an element with its own colour. */
export type Part = readonly [label: string, value: ReactNode];

/** One line of figures, each after its dim label: `lines/s in    10 out    10`. */
export function Figures({parts}: {readonly parts: readonly Part[]}) {
	return (
		<Text wrap="truncate">
			{parts.map(([label, value], index) => (
				<Fragment key={index}>
					<Text dimColor>{label}</Text>
					{value}
				</Fragment>
			))}
		</Text>
	);
}

/** A time in ms, or `-` before there is one. */
export const ms = (value: number | null) => (value === null ? '-' : formatDuration(value));

/**
 * A latency's p50 and p99 (and max, with `max`), each right-aligned in six columns, the first after
 * `label`: `rtt    p50 0.42ms p99  1.3ms`.
 */
export function percentiles(
	label: string,
	latency: {
		readonly p50Ms: number | null;
		readonly p99Ms: number | null;
		readonly maxMs: number | null;
	},
	max = false,
): Part[] {
	const parts: Part[] = [
		[`${label}p50 `, ms(latency.p50Ms).padStart(6)],
		[' p99 ', ms(latency.p99Ms).padStart(6)],
	];
	if (max) parts.push([' max ', ms(latency.maxMs).padStart(6)]);
	return parts;
}
