import {useApp, useInput, type Key} from '#ink';
import {useEffect, useState} from 'react';
import {App, useTerminalSize} from '../ui/app.js';
import {useLatest} from '../ui/use-source.js';
import type {CompareAction, CompareSession} from './session.js';
import {CompareView} from './view.js';

export type CompareAppProps = {
	readonly session: CompareSession;
	readonly ascii?: boolean;
	/** Ends the view by itself after this long (`--duration`). */
	readonly durationMs?: number;
};

/** What a key asks of every row at once; null for a key that means nothing here. */
export function compareActionFor(input: string): CompareAction | null {
	switch (input) {
		case 'c':
			return {type: 'add', count: 1};
		case 'C':
			return {type: 'add', count: 10};
		case 'x':
			return {type: 'drop', count: 1};
		case 'X':
			return {type: 'drop', count: 'all'};
		case 'w':
			return {type: 'work', direction: 1};
		case 'W':
			return {type: 'work', direction: -1};
		case 'd':
			return {type: 'delay', direction: 1};
		case 'D':
			return {type: 'delay', direction: -1};
		case 'r':
			return {type: 'storm'};
		default:
			return null;
	}
}

/**
 * The compare screen with its keys; Enter opens the picked row's full dashboard (the App that
 * `attach` shows, on that row's own Controller) and Esc comes back to the comparison.
 */
export function CompareApp({session, ascii = false, durationMs}: CompareAppProps) {
	const {exit} = useApp();
	const snapshot = useLatest(session);
	const {columns, rows} = useTerminalSize();
	const [selected, setSelected] = useState(0);
	const [open, setOpen] = useState<string | null>(null);
	const [message, setMessage] = useState<string | undefined>(undefined);

	useEffect(() => {
		if (durationMs === undefined) return;
		const timer = setTimeout(exit, durationMs);
		return () => clearTimeout(timer);
	}, [durationMs, exit]);

	const handle = (input: string, key: Key) => {
		if (input === 'q' || (key.ctrl && input === 'c')) return exit();
		const count = snapshot.rows.length;
		if (key.upArrow || input === 'k') return setSelected((index) => Math.max(0, index - 1));
		if (key.downArrow || input === 'j') {
			return setSelected((index) => Math.max(0, Math.min(count - 1, index + 1)));
		}
		if (key.return) {
			const row = snapshot.rows[selected];
			if (row && session.dashboardOf(row.name)) {
				setMessage(undefined);
				return setOpen(row.name);
			}
			return setMessage(
				row ? `${row.name} is an outside server: there is no dashboard of it` : undefined,
			);
		}
		const action = compareActionFor(input);
		if (action) session.dispatch(action);
	};
	useInput(handle, {isActive: open === null});

	const dashboard = open === null ? null : session.dashboardOf(open);
	if (open !== null && dashboard) {
		return (
			<App
				source={dashboard}
				ascii={ascii}
				onBack={() => {
					session.resync(open);
					setOpen(null);
				}}
			/>
		);
	}
	return (
		<CompareView
			snapshot={snapshot}
			columns={columns}
			rows={rows}
			selected={Math.min(selected, Math.max(0, snapshot.rows.length - 1))}
			ascii={ascii}
			message={message}
		/>
	);
}
