import {Box, Text} from '#ink';
import {keyHelp} from '../keys.js';
import {Panel} from '../panel.js';

export type HelpPanelProps = {
	readonly width: number;
	readonly height: number;
	/** A server we only watch: the keys that would change it are left out. */
	readonly watched?: boolean;
};

/** Every key, from the same table the key handler is described by. */
export function HelpPanel({width, height, watched = false}: HelpPanelProps) {
	const KEY_HELP = keyHelp(watched);
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
