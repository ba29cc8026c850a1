import type {Action} from './controller.js';
import type {Snapshot} from './metrics/snapshot.js';
import type {ConnectionWindow} from './metrics/store.js';

/**
 * What the dashboard needs from whatever runs the server: the Controller in this process, or a
 * connection to one running elsewhere. The App knows nothing else.
 */
export type DashboardSource = {
	readonly snapshot: Snapshot;
	/** Calls `listener` with each new snapshot; returns the unsubscribe function. */
	readonly subscribe: (listener: (snapshot: Snapshot) => void) => () => void;
	readonly dispatch: (action: Action) => Promise<void>;
	/** The rows of the connection list the screen has room for. */
	readonly setWindow: (window: ConnectionWindow) => void;
};
