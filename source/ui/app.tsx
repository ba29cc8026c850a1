import {useApp, useStdout} from '#ink';
import {useCallback, useEffect, useRef, useState} from 'react';
import type {ConnectionWindow, DashboardSource} from '../metrics/source.js';
import {Dashboard, layoutFor} from './layout.js';
import {ASCII_GLYPHS, GlyphsContext, UNICODE_GLYPHS} from './glyphs.js';
import {useKeys} from './use-keys.js';
import {Publisher, useLatest} from './use-source.js';
import {
	INITIAL_VIEW_STATE,
	meaningOf,
	reduce,
	roomFor,
	type Effect,
	type ViewState,
} from './view-state.js';

export type AppProps = {
	readonly source: DashboardSource;
	/** Draw with plain ASCII: the terminal or locale cannot show box and block characters. */
	readonly ascii?: boolean;
	/** Esc leaves the dashboard for the view that opened it (compare); without it Esc does nothing. */
	readonly onBack?: () => void;
	/** Run by `attach`: q detaches, and the bottom line says so. */
	readonly attached?: boolean;
};

const sizeOf = (stdout: NodeJS.WriteStream) => ({
	columns: stdout.columns || 80,
	rows: stdout.rows || 24,
});

/** The connection rows the screen shows in `state`, with room for `connectionRows`. */
function windowOf(
	{offset, sort, filter}: Pick<ViewState, 'offset' | 'sort' | 'filter'>,
	connectionRows: number,
): ConnectionWindow {
	return {offset, limit: connectionRows, sort, filter};
}

/**
 * The rows the first frame shows on `stdout`: given to the source before the first render, the App's
 * own request for them changes nothing, and the first frame is rendered once, not twice.
 */
export function firstWindow(stdout: NodeJS.WriteStream = process.stdout): ConnectionWindow {
	const {columns, rows} = sizeOf(stdout);
	return windowOf(INITIAL_VIEW_STATE, layoutFor(columns, rows).connectionRows);
}

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

/**
 * The view state, read as the screen reads its source ({@link useLatest}) and changed by
 * {@link reduce} at once: keys that arrive together (typed fast, pasted, or batched by a slow link)
 * are handled before React renders again, and each must see the change made by the one before.
 * Returns what to draw, and the store to read the latest state from and change it.
 */
function useViewState(): [shown: ViewState, store: Publisher<ViewState>] {
	const [store] = useState(() => new Publisher(INITIAL_VIEW_STATE));
	return [useLatest(store), store];
}

/** Wires a dashboard source to the screen: snapshots in, key presses out. All drawing is in Dashboard. */
export function App({source, ascii = false, onBack, attached = false}: AppProps) {
	const {exit: onQuit} = useApp();
	const live = useLatest(source);
	const {columns, rows} = useTerminalSize();
	const [state, store] = useViewState();
	const [notice, say] = useNotice();
	const {connectionRows} = layoutFor(columns, rows);

	const {offset, sort, filter} = state;
	useEffect(() => {
		source.setWindow(windowOf({offset, sort, filter}, connectionRows));
	}, [source, offset, connectionRows, sort, filter]);

	const carryOut = (effect: Effect) => {
		switch (effect.type) {
			case 'action':
				// A refusal (by this source, or by the server at the other end) says why on screen.
				void source.dispatch(effect.action).then((result) => {
					if (!result.ok) say(result.why);
				});
				break;
			case 'suspend':
				// The terminal layer restores the terminal and stops; on `fg` it draws again.
				process.kill(process.pid, 'SIGTSTP');
				break;
			case 'back':
				onBack?.();
				break;
			case 'quit':
				onQuit();
				break;
		}
	};

	useKeys((key) => {
		// Scrolling stops at the ends of the lists as the source has them now, not as last drawn.
		const room = roomFor(source.snapshot, connectionRows);
		const {change, effect} = meaningOf(store.snapshot, key, {room, shown: live});
		if (change) store.publish(reduce(store.snapshot, change));
		if (effect) carryOut(effect);
	});

	return (
		<GlyphsContext.Provider value={ascii ? ASCII_GLYPHS : UNICODE_GLYPHS}>
			<Dashboard
				snapshot={state.frozen ?? live}
				columns={columns}
				rows={rows}
				view={state.help ? 'help' : state.view}
				processesOffset={state.processesOffset}
				eventsOffset={state.eventsOffset}
				paused={state.frozen !== undefined}
				filterInput={state.editingFilter ? filter : undefined}
				notice={notice}
				attached={attached}
				fromCompare={onBack !== undefined}
			/>
		</GlyphsContext.Provider>
	);
}
