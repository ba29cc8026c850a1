/**
 * The contract between the dashboard and whatever feeds it: the Controller in this process, a
 * `serve` elsewhere seen through `attach` (RemoteSource), a watched server (WatchSource). The App
 * knows this module and nothing else of them, so every key means the same on each.
 */
import type {ConnectionWindow} from './connection-view.js';
import type {Snapshot} from './snapshot.js';
import type {ModeName} from '../server/mode.js';

export type {ConnectionWindow, SortKey} from './connection-view.js';

/** Everything a key press can ask of the source. */
export type Action =
	| {readonly type: 'add-clients'; readonly count: number}
	| {readonly type: 'drop-clients'; readonly count: number | 'all'}
	| {readonly type: 'next-mode'}
	| {readonly type: 'set-mode'; readonly mode: ModeName}
	/** Moves the server into its own process, or back into the dashboard's (key `p`). */
	| {readonly type: 'toggle-placement'}
	/** Starts the server again after its process died (worker placement). */
	| {readonly type: 'restart-server'}
	/** CPU work per message, one step up or down. */
	| {readonly type: 'work'; readonly direction: 1 | -1}
	/** Simulated I/O wait per message, one step up or down. */
	| {readonly type: 'delay'; readonly direction: 1 | -1}
	/** Grows or shrinks the `pool` model's thread pool. */
	| {readonly type: 'resize-pool'; readonly by: number}
	| {readonly type: 'set-max-connections'; readonly max: number | null}
	/** Crashes one worker thread or child process, to show that only its connection is lost. */
	| {readonly type: 'crash-worker'};

export type ActionType = Action['type'];

/** The longest connection filter a viewer may type. */
export const MAX_FILTER_LENGTH = 40;

export const ACTION_TYPES: readonly ActionType[] = [
	'add-clients',
	'drop-clients',
	'next-mode',
	'set-mode',
	'toggle-placement',
	'restart-server',
	'work',
	'delay',
	'resize-pool',
	'set-max-connections',
	'crash-worker',
];

/** What became of an action: carried out, or refused with one line for the screen saying why. */
export type ActionResult = {readonly ok: true} | {readonly ok: false; readonly why: string};

export const DONE: ActionResult = {ok: true};

export const refused = (why: string): ActionResult => ({ok: false, why});

/** What a source can do, so the screen can say so before a key is sent anywhere. */
export type SourceCapabilities = {
	/** The actions it carries out; the keys of the others say they are not available here. */
	readonly actions: ReadonlySet<ActionType>;
	/** Why the others are refused: one line for the screen. */
	readonly otherwise: string;
	/** What `q` ends: everything here (`stop`), or only this view of a server that runs on (`detach`). */
	readonly quit: 'stop' | 'detach';
};

export const ALL_ACTIONS: ReadonlySet<ActionType> = new Set(ACTION_TYPES);

/** The source of the dashboard: a snapshot to draw, actions to carry out, a window of rows. */
export type DashboardSource = {
	readonly snapshot: Snapshot;
	/** Calls `listener` with each new snapshot; returns the unsubscribe function. */
	readonly subscribe: (listener: (snapshot: Snapshot) => void) => () => void;
	/** Carries out `action` (after those before it); resolves with what became of it. */
	readonly dispatch: (action: Action) => Promise<ActionResult>;
	/** The rows of the connection list the screen has room for, in its sort and filter. */
	readonly setWindow: (window: ConnectionWindow) => void;
	readonly capabilities: SourceCapabilities;
};

/** Why a source with `capabilities` will not carry out `action`, before it is sent; null when it can. */
export function unavailable(action: Action, capabilities: SourceCapabilities): string | null {
	return capabilities.actions.has(action.type) ? null : capabilities.otherwise;
}
