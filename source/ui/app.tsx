import {useApp, useInput, useStdout, type Key} from '#ink';
import {useCallback, useEffect, useRef, useState, useSyncExternalStore} from 'react';
import type {DashboardSource} from '../dashboard-source.js';
import {SORT_KEYS} from '../metrics/connection-view.js';
import type {Snapshot} from '../metrics/snapshot.js';
import {Dashboard, layoutFor, type View} from './dashboard.js';
import {ASCII_GLYPHS, GlyphsContext, UNICODE_GLYPHS} from './glyphs.js';
import {commandFor, splitKeys, type KeyCommand} from './keys.js';

export type AppProps = {
	readonly source: DashboardSource;
	/** Draw with plain ASCII: the terminal or locale cannot show box and block characters. */
	readonly ascii?: boolean;
	/** Esc leaves the dashboard for the view that opened it (compare); without it Esc does nothing. */
	readonly onBack?: () => void;
};

const sizeOf = (stdout: NodeJS.WriteStream) => ({
	columns: stdout.columns || 80,
	rows: stdout.rows || 24,
});

/** The terminal's size, following resizes. */
export function useTerminalSize(): {columns: number; rows: number} {
	const {stdout} = useStdout();
	const [size, setSize] = useState(() => sizeOf(stdout));
	useEffect(() => {
		const onResize = () => setSize(sizeOf(stdout));
		stdout.on('resize', onResize);
		return () => {
			stdout.off('resize', onResize);
		};
	}, [stdout]);
	return size;
}

/**
 * State that key handling reads through a ref: keys that arrive together (typed fast, pasted, or
 * batched by a slow link) are handled before React renders again, and each must see the last change.
 */
function useLatchedState(
	initial: boolean,
): [{readonly current: boolean}, (value: boolean) => void] {
	const ref = useRef(initial);
	const [, rerender] = useState(initial);
	const set = useCallback((value: boolean) => {
		ref.current = value;
		rerender(value);
	}, []);
	return [ref, set];
}

/** Wires a dashboard source to the screen: snapshots in, key presses out. All drawing is in Dashboard. */
export function App({source, ascii = false, onBack}: AppProps) {
	const {exit: onQuit} = useApp();
	const live = useSyncExternalStore(source.subscribe, () => source.snapshot);
	const {columns, rows} = useTerminalSize();
	const [help, showHelp] = useLatchedState(false);
	const [offset, setOffset] = useState(0);
	const [sort, setSort] = useState<(typeof SORT_KEYS)[number]>('id');
	const [filter, setFilter] = useState('');
	/** While typing a filter, keys are text. */
	const [editingFilter, setEditingFilter] = useLatchedState(false);
	const [view, setView] = useState<View>('connections');
	const [frozen, setFrozen] = useState<Snapshot | undefined>(undefined);
	const snapshot = frozen ?? live;
	const {connectionRows} = layoutFor(columns, rows);

	useEffect(() => {
		source.setWindow({offset, limit: connectionRows, sort, filter});
	}, [source, offset, connectionRows, sort, filter]);

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
			case 'sort':
				setSort((key) => SORT_KEYS[(SORT_KEYS.indexOf(key) + 1) % SORT_KEYS.length]!);
				setOffset(0);
				break;
			case 'filter':
				setEditingFilter(true);
				setOffset(0);
				break;
			case 'pause':
				setFrozen((current) => (current ? undefined : live));
				break;
			case 'view':
				setView((current) => (current === command.view ? 'connections' : command.view));
				break;
			case 'help':
				showHelp(true);
				break;
			case 'quit':
				onQuit();
				break;
		}
	};

	const handle = (input: string, key: Key) => {
		if (editingFilter.current) {
			if (key.return) setEditingFilter(false);
			else if (key.escape) {
				setFilter('');
				setEditingFilter(false);
			} else if (key.backspace || key.delete) setFilter((text) => text.slice(0, -1));
			else if (!key.ctrl && !key.meta && input.length > 0)
				setFilter((text) => (text + input).slice(0, 40));
			return;
		}
		if (key.escape && onBack) return onBack();
		const command = commandFor(input, key);
		if (command?.type === 'quit') return onQuit();
		// Any key closes the help overlay, and does nothing else.
		if (help.current) return showHelp(false);
		if (command) carryOut(command);
	};

	useInput((input, key) => {
		for (const character of splitKeys(input, key)) handle(character, key);
	});

	return (
		<GlyphsContext.Provider value={ascii ? ASCII_GLYPHS : UNICODE_GLYPHS}>
			<Dashboard
				snapshot={snapshot}
				columns={columns}
				rows={rows}
				view={help.current ? 'help' : view}
				paused={frozen !== undefined}
				filterInput={editingFilter.current ? filter : undefined}
			/>
		</GlyphsContext.Provider>
	);
}
