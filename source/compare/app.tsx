import {useApp} from '#ink';
import {useEffect, useRef, useState} from 'react';
import {App, useTerminalSize} from '../ui/app.js';
import {useLatest} from '../ui/use-source.js';
import {useKeys} from '../ui/use-keys.js';
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
	// What the keys of one read see at once, before React renders again: `jj` moves two rows.
	const keys = useRef({selected: 0, open: null as string | null});
	const select = (index: number) => {
		keys.current.selected = index;
		setSelected(index);
	};
	const [message, setMessage] = useState<string | undefined>(undefined);

	useEffect(() => {
		if (durationMs === undefined) return;
		const timer = setTimeout(exit, durationMs);
		return () => clearTimeout(timer);
	}, [durationMs, exit]);

	// Keys as the dashboard reads them (KeyReader): several in one read (key repeat, SSH) are each
	// handled, in order. While a row's dashboard is open, its own keys are its.
	useKeys((key) => {
		if (keys.current.open !== null) return;
		if (key.kind === 'ctrl') {
			if (key.letter === 'c') exit();
			return;
		}
		const count = snapshot.rows.length;
		const index = keys.current.selected;
		const up = () => select(Math.max(0, index - 1));
		const down = () => select(Math.max(0, Math.min(count - 1, index + 1)));
		if (key.kind === 'key') {
			if (key.name === 'up') up();
			else if (key.name === 'down') down();
			else if (key.name === 'return') openRow();
			return;
		}
		if (key.kind !== 'text') return;
		if (key.text === 'q') return exit();
		if (key.text === 'k') return up();
		if (key.text === 'j') return down();
		const action = compareActionFor(key.text);
		if (action) session.dispatch(action);
	});

	const openRow = () => {
		const row = snapshot.rows[Math.min(keys.current.selected, snapshot.rows.length - 1)];
		if (row && session.dashboardOf(row.name)) {
			setMessage(undefined);
			keys.current.open = row.name;
			return setOpen(row.name);
		}
		return setMessage(
			row ? `${row.name} is an outside server: there is no dashboard of it` : undefined,
		);
	};

	const dashboard = open === null ? null : session.dashboardOf(open);
	if (open !== null && dashboard) {
		return (
			<App
				source={dashboard}
				ascii={ascii}
				onBack={() => {
					session.resync(open);
					keys.current.open = null;
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
