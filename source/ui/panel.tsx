import {Box, Text} from '#ink';
import type {ReactNode} from 'react';
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
