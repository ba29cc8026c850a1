import {useInput, useStdout} from 'ink';
import {useEffect, useState, useSyncExternalStore} from 'react';
import type {DashboardSource} from '../dashboard-source.js';
import {Dashboard, layoutFor} from './dashboard.js';
import {commandsFor, type KeyCommand} from './keys.js';

export type AppProps = {
	readonly source: DashboardSource;
	readonly onQuit: () => void;
	readonly ascii?: boolean;
};

function useTerminalSize(): {columns: number; rows: number} {
	const {stdout} = useStdout();
	const read = () => ({columns: stdout.columns || 80, rows: stdout.rows || 24});
	const [size, setSize] = useState(read);
	useEffect(() => {
		const onResize = () => setSize({columns: stdout.columns || 80, rows: stdout.rows || 24});
		stdout.on('resize', onResize);
		return () => {
			stdout.off('resize', onResize);
		};
	}, [stdout]);
	return size;
}

/** Wires a dashboard source to the screen: snapshots in, key presses out. All drawing is in Dashboard. */
export function App({source, onQuit, ascii = false}: AppProps) {
	const snapshot = useSyncExternalStore(source.subscribe, () => source.snapshot);
	const {columns, rows} = useTerminalSize();
	const [help, setHelp] = useState(false);
	const [offset, setOffset] = useState(0);
	const {connectionRows} = layoutFor(columns, rows);

	useEffect(() => {
		source.setWindow({offset, limit: connectionRows});
	}, [source, offset, connectionRows]);

	const scroll = (to: Extract<KeyCommand, {type: 'scroll'}>['to']) => {
		const current = snapshot.connections.offset;
		const page = Math.max(1, connectionRows - 1);
		const next = {
			up: current - 1,
			down: current + 1,
			'page-up': current - page,
			'page-down': current + page,
			top: 0,
			bottom: Number.MAX_SAFE_INTEGER,
		}[to];
		setOffset(Math.max(0, next));
	};

	const carryOut = (command: KeyCommand) => {
		switch (command.type) {
			case 'action':
				void source.dispatch(command.action);
				break;
			case 'scroll':
				scroll(command.to);
				break;
			case 'help':
				setHelp(true);
				break;
			case 'quit':
				onQuit();
				break;
		}
	};

	useInput((input, key) => {
		const commands = commandsFor(input, key);
		if (commands.some((command) => command.type === 'quit')) return onQuit();
		// Any key closes the help overlay, and does nothing else.
		if (help) return setHelp(false);
		for (const command of commands) carryOut(command);
	});

	return <Dashboard snapshot={snapshot} columns={columns} rows={rows} help={help} ascii={ascii} />;
}
