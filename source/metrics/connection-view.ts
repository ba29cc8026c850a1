import type {HandledBy} from '../server/protocol.js';

/** Columns the connection list can be sorted by; `id` is arrival order. */
export const SORT_KEYS = ['id', 'state', 'by', 'in', 'out', 'msgs', 'rtt'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** Which rows of the connection list the screen shows. */
export type ConnectionWindow = {
	readonly offset: number;
	readonly limit: number;
	readonly sort?: SortKey;
	/** Case-insensitive text matched against the peer, the state and who handles the connection. */
	readonly filter?: string;
};

/** Whether two windows show the same rows (a source that is asked for the rows it shows has nothing new to publish). */
export function sameWindow(a: ConnectionWindow, b: ConnectionWindow): boolean {
	return (['offset', 'limit', 'sort', 'filter'] as const).every((key) => a[key] === b[key]);
}

/** The fields a connection is sorted and filtered by. */
export type Viewable = {
	readonly id: number;
	readonly peer: string;
	readonly state: string;
	readonly by: HandledBy;
	readonly bytesIn: number;
	readonly bytesOut: number;
	readonly messagesIn: number;
};

export function handledByLabel(by: HandledBy): string {
	switch (by.kind) {
		case 'main':
			return 'main';
		case 'thread':
			return `thread#${by.id}`;
		case 'process':
			return `pid ${by.pid}`;
	}
}

/** Re-sorting at most this often keeps rows from jumping on every tick while values change. */
const RESORT_MS = 1000;

/**
 * Picks the window of rows to show. In arrival order (the default, unfiltered) the work is bounded
 * by offset + limit; sorted or filtered views walk every connection once, and re-sort once a second.
 */
export class ConnectionView<T extends Viewable> {
	#sorted: {key: SortKey; at: number; order: T[]; lastId: number} | undefined;

	select(
		all: ReadonlyMap<number, T>,
		window: ConnectionWindow,
		rtt: (item: T) => number | null,
		now: number,
	): {offset: number; matching: number; items: T[]} {
		const sort = window.sort ?? 'id';
		const filter = window.filter?.trim().toLowerCase() ?? '';
		if (sort === 'id' && filter === '') {
			const offset = clampOffset(window, all.size);
			const items: T[] = [];
			let index = 0;
			for (const item of all.values()) {
				if (items.length >= window.limit) break;
				if (index++ >= offset) items.push(item);
			}
			return {offset, matching: all.size, items};
		}
		const ordered = sort === 'id' ? [...all.values()] : this.#order(all, sort, rtt, now);
		const matching = filter === '' ? ordered : ordered.filter((item) => matches(item, filter));
		const offset = clampOffset(window, matching.length);
		return {
			offset,
			matching: matching.length,
			items: matching.slice(offset, offset + window.limit),
		};
	}

	#order(
		all: ReadonlyMap<number, T>,
		key: SortKey,
		rtt: (item: T) => number | null,
		now: number,
	): T[] {
		const cached = this.#sorted;
		if (cached?.key === key && now - cached.at < RESORT_MS) {
			// Keep the order of the last sort; drop the closed, add the new at the end in arrival order.
			const order = cached.order.filter((item) => all.get(item.id) === item);
			for (const item of all.values()) if (item.id > cached.lastId) order.push(item);
			return order;
		}
		const order = [...all.values()].sort((a, b) => compare(a, b, key, rtt) || a.id - b.id);
		let lastId = 0;
		for (const item of order) lastId = Math.max(lastId, item.id);
		this.#sorted = {key, at: now, order, lastId};
		return order;
	}
}

function clampOffset(window: ConnectionWindow, size: number): number {
	return Math.max(0, Math.min(window.offset, size - window.limit));
}

function matches(item: Viewable, filter: string): boolean {
	return (
		item.peer.toLowerCase().includes(filter) ||
		item.state.startsWith(filter) ||
		handledByLabel(item.by).includes(filter)
	);
}

/** Largest first for amounts, queued before active, then by handler label. */
function compare<T extends Viewable>(
	a: T,
	b: T,
	key: SortKey,
	rtt: (item: T) => number | null,
): number {
	switch (key) {
		case 'id':
			return a.id - b.id;
		case 'state':
			return a.state === b.state ? 0 : a.state === 'queued' ? -1 : 1;
		case 'by':
			return handledByLabel(a.by).localeCompare(handledByLabel(b.by), undefined, {numeric: true});
		case 'in':
			return b.bytesIn - a.bytesIn;
		case 'out':
			return b.bytesOut - a.bytesOut;
		case 'msgs':
			return b.messagesIn - a.messagesIn;
		case 'rtt':
			return (rtt(b) ?? -1) - (rtt(a) ?? -1);
	}
}
