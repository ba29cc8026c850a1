import {Box, Text} from '#ink';
import {KEY_HELP} from '../keys.js';
import {Panel} from '../panel.js';

export type HelpPanelProps = {readonly width: number; readonly height: number};

/** Every key, from the same table the key handler is described by. */
export function HelpPanel({width, height}: HelpPanelProps) {
	const keyWidth = Math.max(...KEY_HELP.map(([keys]) => keys.length)) + 2;
	return (
		<Panel title="Keys" width={width} height={height}>
			{KEY_HELP.map(([keys, what]) => (
				<Box key={keys}>
					<Box width={keyWidth} flexShrink={0}>
						<Text bold color="cyan">
							{keys}
						</Text>
					</Box>
					<Text wrap="truncate">{what}</Text>
				</Box>
			))}
		</Panel>
	);
}
