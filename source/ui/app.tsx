import {useApp, useStdin, useStdout} from '#ink';
import {useCallback, useEffect, useRef, useState, useSyncExternalStore} from 'react';
import {MAX_FILTER_LENGTH, type DashboardSource} from '../metrics/source.js';
import {SORT_KEYS} from '../metrics/connection-view.js';
import type {Snapshot} from '../metrics/snapshot.js';
import {Dashboard, layoutFor, type View} from './layout.js';
import {CONNECTIONS_CHROME} from './panels/connections.js';
import {share} from './panels/processes.js';
import {ASCII_GLYPHS, GlyphsContext, UNICODE_GLYPHS} from './glyphs.js';
import {answerInput, KeyReader, type KeyPress} from '../terminal/index.js';
import {commandFor, type KeyCommand} from './keys.js';

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
function useLatchedState<T>(initial: T): [{readonly current: T}, (value: T) => void] {
	const ref = useRef(initial);
	const [, rerender] = useState(initial);
	const set = useCallback((value: T) => {
		ref.current = value;
		rerender(value);
	}, []);
	return [ref, set];
}

/**
 * Key presses from the terminal, each sequence (mouse report, paste, terminal reply, function key)
 * parsed as one unit. The handler is read through a ref: keys that arrive in one chunk are handled
 * one after another before React renders again.
 */
function useKeys(handler: (key: KeyPress) => void): void {
	const {internal_eventEmitter: input, setRawMode} = useStdin();
	const latest = useRef(handler);
	latest.current = handler;
	useEffect(() => {
		setRawMode(true);
		const reader = new KeyReader((key) => latest.current(key));
		const onInput = (chunk: string) => {
			answerInput();
			reader.push(chunk);
		};
		input.on('input', onInput);
		return () => {
			input.off('input', onInput);
			reader.dispose();
			setRawMode(false);
		};
	}, [input, setRawMode]);
}

/** How long a refused action's reason stays on the bottom line. */
const NOTICE_MS = 5000;

/** One line of news for the bottom line (why an action was refused), gone after NOTICE_MS. */
function useNotice(): [string | undefined, (text: string) => void] {
	const [notice, setNotice] = useState<string | undefined>(undefined);
	const timer = useRef<NodeJS.Timeout | undefined>(undefined);
	useEffect(() => () => clearTimeout(timer.current), []);
	const say = useCallback((text: string) => {
		clearTimeout(timer.current);
		setNotice(text);
		timer.current = setTimeout(() => setNotice(undefined), NOTICE_MS);
	}, []);
	return [notice, say];
}

/** How far the threads view can scroll: until the longer of its two lists shows its last row. */
function lastProcessesOffset({os, workers}: Snapshot, height: number): number {
	const processes = os?.processes.length ?? 0;
	const threads = workers.rows.filter((row) => row.worker.kind !== 'process').length;
	const {processRoom, threadRoom} = share(Math.max(0, height - 2), processes, threads);
	return Math.max(0, processes - processRoom, threads - threadRoom);
}

/** Wires a dashboard source to the screen: snapshots in, key presses out. All drawing is in Dashboard. */
export function App({source, ascii = false, onBack}: AppProps) {
	const {exit: onQuit} = useApp();
	const live = useSyncExternalStore(source.subscribe, () => source.snapshot);
	const {columns, rows} = useTerminalSize();
	const [help, showHelp] = useLatchedState(false);
	const [offset, setOffset] = useLatchedState(0);
	const [sort, setSort] = useState<(typeof SORT_KEYS)[number]>('id');
	const [filter, setFilter] = useLatchedState('');
	/** While typing a filter, keys are text. */
	const [editingFilter, setEditingFilter] = useLatchedState(false);
	const [view, setView] = useLatchedState<View>('connections');
	const [processesOffset, setProcessesOffset] = useLatchedState(0);
	const [frozen, setFrozen] = useState<Snapshot | undefined>(undefined);
	const [notice, say] = useNotice();
	const snapshot = frozen ?? live;
	const {connectionRows} = layoutFor(columns, rows);

	const [offsetShown, filterShown] = [offset.current, filter.current];
	useEffect(() => {
		source.setWindow({offset: offsetShown, limit: connectionRows, sort, filter: filterShown});
	}, [source, offsetShown, connectionRows, sort, filterShown]);

	/**
	 * From the offset asked for last, not the last one shown: every key press counts. In the threads
	 * view (`t`) the same keys scroll its lists (the panel clamps to what each list has).
	 */
	const scroll = (to: Extract<KeyCommand, {type: 'scroll'}>['to']) => {
		const threads = view.current === 'processes';
		const current = threads ? processesOffset.current : offset.current;
		const page = Math.max(1, connectionRows - 1);
		const last = threads
			? lastProcessesOffset(source.snapshot, connectionRows + CONNECTIONS_CHROME)
			: Math.max(0, source.snapshot.connections.matching - connectionRows);
		const next = {
			up: current - 1,
			down: current + 1,
			'page-up': current - page,
			'page-down': current + page,
			top: 0,
			bottom: last,
		}[to];
		(threads ? setProcessesOffset : setOffset)(Math.max(0, Math.min(last, next)));
	};

	const carryOut = (command: KeyCommand) => {
		switch (command.type) {
			case 'action':
				// A refusal (by this source, or by the server at the other end) says why on screen.
				void source.dispatch(command.action).then((result) => {
					if (!result.ok) say(result.why);
				});
				break;
			case 'scroll':
				scroll(command.to);
				break;
			case 'suspend':
				// The terminal layer restores the terminal and stops; on `fg` it draws again.
				process.kill(process.pid, 'SIGTSTP');
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
				setView(view.current === command.view ? 'connections' : command.view);
				setProcessesOffset(0);
				break;
			case 'help':
				showHelp(true);
				break;
			case 'quit':
				onQuit();
				break;
		}
	};

	/** While typing a filter, keys are text: Enter keeps the filter, Esc clears it. */
	const editFilter = (key: KeyPress) => {
		if (key.kind === 'key' && key.name === 'return') setEditingFilter(false);
		else if (key.kind === 'key' && key.name === 'escape') {
			setFilter('');
			setEditingFilter(false);
		} else if (key.kind === 'key' && (key.name === 'backspace' || key.name === 'delete')) {
			setFilter(filter.current.slice(0, -1));
		} else if (key.kind === 'text' || key.kind === 'paste') {
			setFilter((filter.current + key.text).slice(0, MAX_FILTER_LENGTH));
		} else if (key.kind === 'ctrl' && key.letter === 'c') onQuit();
	};

	useKeys((key) => {
		if (editingFilter.current) return editFilter(key);
		const command = commandFor(key);
		if (command?.type === 'quit') return onQuit();
		// Any key closes the help overlay, and does nothing else.
		if (help.current) return showHelp(false);
		if (key.kind === 'key' && key.name === 'escape') {
			// Esc clears a filter that was kept, or goes back to the view that opened this one.
			if (filter.current !== '') {
				setFilter('');
				setOffset(0);
			} else onBack?.();
			return;
		}
		if (command) carryOut(command);
	});

	return (
		<GlyphsContext.Provider value={ascii ? ASCII_GLYPHS : UNICODE_GLYPHS}>
			<Dashboard
				snapshot={snapshot}
				columns={columns}
				rows={rows}
				view={help.current ? 'help' : view.current}
				processesOffset={processesOffset.current}
				paused={frozen !== undefined}
				filterInput={editingFilter.current ? filter.current : undefined}
				notice={notice}
			/>
		</GlyphsContext.Provider>
	);
}
