import type {SocketReading} from '../collectors/sockets.js';
import type {WatchedConnection} from '../metrics/snapshot.js';
import type {HandledBy, ServerEvent, TrafficDelta, WaitPlace} from '../server/protocol.js';

/** One connection as watch follows it between readings of the kernel's table. */
type Tracked = {
	readonly id: number;
	readonly firstSeen: number;
	/** Given to the store yet: a connection is held back until it is clearly served or waiting. */
	emitted: boolean;
	queued: boolean;
	owner: number | null;
	place: WaitPlace | null;
	bytesIn: number;
	bytesOut: number;
	unread: number;
	unsent: number;
	inode: number;
	peer: string;
	/** The kernel's counters at the last reading, from the first one that saw it: what rates are made of. */
	seenIn: number;
	seenOut: number;
};

/** What a row of the connection list adds for a watched server. */
export type SocketExtras = {
	readonly unread: number;
	readonly unsent: number;
	/** Where it waits now; null: not waiting. */
	readonly place: WaitPlace | null;
	/** The process whose /proc/<pid>/fd holds its socket now; null: none (yet). */
	readonly owner: number | null;
};

/** Bytes the kernel counted on live connections, summed over readings: each only from its first sighting. */
export type Moved = {bytesIn: number; bytesOut: number};

/** States of a connection that the server holds or will hold; TIME-WAIT and the like are over. */
const LIVE_STATES = new Set(['ESTAB', 'CLOSE-WAIT', 'FIN-WAIT-1', 'FIN-WAIT-2', 'LAST-ACK']);

/** ss writes a v4 client of a dual-stack listener as [::ffff:a.b.c.d]: the clients write a.b.c.d. */
export function normalisePeer(peer: string): string {
	const mapped = /^\[::ffff:(\d+\.\d+\.\d+\.\d+)\](:\d+)$/.exec(peer);
	return mapped ? `${mapped[1]}${mapped[2]}` : peer;
}

/**
 * Turns successive readings of the kernel's TCP table into the events the metrics store folds, as
 * if the server reported them itself. A connection waits for the server while it sits in the
 * accept queue, or holds bytes the server has never read; it is served from the first byte the
 * server reads or writes. It is shown as waiting only once that lasted `waitMs`: shorter waits are
 * the normal time between a byte's arrival and its read.
 */
export class ConnectionTracker {
	readonly #waitMs: number;
	readonly #connections = new Map<string, Tracked>();
	#nextId = 1;
	/**
	 * Bytes moved since watch started, counted between successive readings of each connection: a
	 * connection's bytes from before its first reading are not in it, so a rate made of two of these
	 * totals and the time between their readings is the kernel's rate over that time.
	 */
	readonly moved: Moved = {bytesIn: 0, bytesOut: 0};

	constructor(waitMs: number) {
		this.#waitMs = waitMs;
	}

	/** The events since the last reading. `owners` maps socket inodes to the pids that hold them. */
	update(
		sockets: readonly SocketReading[],
		owners: ReadonlyMap<number, number>,
		now: number,
	): ServerEvent[] {
		const events: ServerEvent[] = [];
		const deltas: TrafficDelta[] = [];
		const seen = new Set<string>();
		for (const socket of sockets) {
			if (!LIVE_STATES.has(socket.state)) continue;
			const key = `${socket.local} ${socket.peer}`;
			seen.add(key);
			let tracked = this.#connections.get(key);
			if (!tracked) {
				tracked = this.#track(key, now);
				tracked.seenIn = socket.bytesReceived;
				tracked.seenOut = socket.bytesAcked;
			}
			this.moved.bytesIn += socket.bytesReceived - tracked.seenIn;
			this.moved.bytesOut += socket.bytesAcked - tracked.seenOut;
			tracked.seenIn = socket.bytesReceived;
			tracked.seenOut = socket.bytesAcked;
			this.#step(tracked, socket, owners, now, events);
			if (!tracked.emitted) continue;
			const bytesIn = socket.bytesReceived - tracked.bytesIn;
			const bytesOut = socket.bytesAcked - tracked.bytesOut;
			tracked.bytesIn = socket.bytesReceived;
			tracked.bytesOut = socket.bytesAcked;
			if (bytesIn > 0 || bytesOut > 0) deltas.push([tracked.id, bytesIn, bytesOut, 0, 0, 0]);
		}
		for (const [key, tracked] of this.#connections) {
			if (seen.has(key)) continue;
			this.#connections.delete(key);
			if (tracked.emitted) events.push({type: 'conn-close', id: tracked.id, at: now});
		}
		if (deltas.length > 0) events.push({type: 'traffic', deltas});
		return events;
	}

	/** The figures the store does not keep, by connection id. */
	extras(): Map<number, SocketExtras> {
		const extras = new Map<number, SocketExtras>();
		for (const tracked of this.#connections.values()) {
			if (!tracked.emitted) continue;
			extras.set(tracked.id, {
				unread: tracked.unread,
				unsent: tracked.unsent,
				place: tracked.place,
				owner: tracked.owner,
			});
		}
		return extras;
	}

	/** The connection each process holds (the first one found), for process-per-client rows. */
	heldBy(): Map<number, number> {
		const held = new Map<number, number>();
		for (const tracked of this.#connections.values()) {
			if (tracked.emitted && tracked.owner !== null && !held.has(tracked.owner)) {
				held.set(tracked.owner, tracked.id);
			}
		}
		return held;
	}

	/** Every connection given to the store, oldest first, at most `limit`. */
	list(limit: number): WatchedConnection[] {
		const list: WatchedConnection[] = [];
		for (const tracked of this.#connections.values()) {
			if (list.length >= limit) break;
			if (!tracked.emitted) continue;
			list.push({
				id: tracked.id,
				peer: tracked.peer,
				inode: tracked.inode,
				owner: tracked.owner,
				waitIn: tracked.place,
			});
		}
		return list;
	}

	/** Each accepted connection by its socket inode: its id (null while held back) and peer. */
	byInode(): Map<number, {id: number | null; peer: string}> {
		const found = new Map<number, {id: number | null; peer: string}>();
		for (const tracked of this.#connections.values()) {
			if (tracked.inode !== 0)
				found.set(tracked.inode, {id: tracked.emitted ? tracked.id : null, peer: tracked.peer});
		}
		return found;
	}

	#track(key: string, now: number): Tracked {
		const tracked: Tracked = {
			id: this.#nextId++,
			firstSeen: now,
			emitted: false,
			queued: false,
			owner: null,
			place: null,
			bytesIn: 0,
			bytesOut: 0,
			unread: 0,
			unsent: 0,
			inode: 0,
			peer: '',
			seenIn: 0,
			seenOut: 0,
		};
		this.#connections.set(key, tracked);
		return tracked;
	}

	#step(
		tracked: Tracked,
		socket: SocketReading,
		owners: ReadonlyMap<number, number>,
		now: number,
		events: ServerEvent[],
	): void {
		const accepted = socket.inode !== 0;
		const read = socket.bytesReceived - socket.unread;
		const served = accepted && (read > 0 || socket.bytesAcked > 0 || socket.unsent > 0);
		const waiting = !served && (!accepted || socket.unread > 0);
		tracked.owner = accepted ? (owners.get(socket.inode) ?? null) : null;
		tracked.inode = socket.inode;
		tracked.peer = normalisePeer(socket.peer);
		tracked.unread = socket.unread;
		tracked.unsent = socket.unsent;
		tracked.place = waiting ? (accepted ? 'unread' : 'accept') : null;
		const by: HandledBy =
			tracked.owner === null ? {kind: 'main'} : {kind: 'process', pid: tracked.owner};
		if (!tracked.emitted) {
			if (waiting && now - tracked.firstSeen < this.#waitMs) return;
			tracked.emitted = true;
			tracked.queued = waiting;
			const peer = normalisePeer(socket.peer);
			events.push(
				waiting
					? {
							type: 'conn-open',
							id: tracked.id,
							peer,
							state: 'queued',
							by,
							waitIn: tracked.place!,
							at: tracked.firstSeen,
						}
					: {type: 'conn-open', id: tracked.id, peer, state: 'active', by, at: tracked.firstSeen},
			);
			return;
		}
		if (tracked.queued && !waiting) {
			tracked.queued = false;
			events.push({type: 'conn-serve', id: tracked.id, by, at: now});
		}
	}
}
