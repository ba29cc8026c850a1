import {Listeners} from '../shared/listeners.js';
import {ClientFleet} from '../clients/fleet.js';
import {MachineCollector} from '../collectors/machine.js';
import {ProcCollector} from '../collectors/proc.js';
import {joinThreads} from '../collectors/figures.js';
import {Clocks} from '../shared/clocks.js';
import {
	readConnections,
	readListenOverflows,
	readListeners,
	socketOwners,
	type ListenerReading,
} from '../collectors/sockets.js';
import {
	DONE,
	refused,
	unavailable,
	type Action,
	type ActionResult,
	type DashboardSource,
	type SourceCapabilities,
} from '../metrics/source.js';
import type {
	ConnectionThread,
	OsFigures,
	ProcessFigures,
	Snapshot,
	WatchFigures,
} from '../metrics/snapshot.js';
import {readProcess} from '../collectors/proc.js';
import {MetricsStore, type ConnectionWindow} from '../metrics/store.js';
import type {HandlerName} from '../server/handler.js';
import {ConnectionTracker} from './tracker.js';
import {
	MAX_SERVER_SIDE,
	readListenCounters,
	readListenWaits,
	serverSides,
} from '../collectors/waits.js';

export type WatchSettings = {
	/** The server's main process: its descendants are part of it. */
	readonly pid: number;
	/** Only listeners on this port; null: every port the server's processes listen on. */
	readonly port: number | null;
	/** What a correct reply is, for the status line; 'any' takes any reply. */
	readonly handler: HandlerName | 'any';
	readonly rate: number;
	readonly waitMs: number;
	/** How often the kernel's tables are read. */
	readonly readMs: number;
	/** How often a snapshot is published (and rates rolled). */
	readonly tickMs: number;
	/** More roots whose trees are part of the server: the other owners of the port (SO_REUSEPORT). */
	readonly otherRoots?: readonly number[];
	/** When the watched process has ended, keep the last figures on screen rather than exit (--stay). */
	readonly stay?: boolean;
};

const HOST_MS = 2000;
/** Connections listed in the watch section (the JSON's `watch.connections`); the rest are counted. */
const MAX_LISTED = 1000;

/** 0.0.0.0 and :: are where a server listens, not where a client connects. */
function clientAddress(listener: ListenerReading): string {
	const host = listener.local.slice(0, listener.local.lastIndexOf(':'));
	if (host === '*' || host === '0.0.0.0') return '127.0.0.1';
	if (host === '[::]') return '::1';
	return host.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
}

/**
 * A server concurrency-top did not start, seen from the kernel: its processes and threads from
 * /proc, its listeners and connections from sock_diag (through `ss`), folded by the same store into
 * the same Snapshot the dashboard's panels draw. Test clients can be added against its port.
 */
export class WatchSource implements DashboardSource {
	readonly #settings: WatchSettings;
	readonly #store: MetricsStore;
	readonly #proc: ProcCollector;
	readonly #machine = new MachineCollector();
	readonly #tracker: ConnectionTracker;
	readonly #fleet: ClientFleet;
	readonly #snapshots = new Listeners<Snapshot>();
	readonly #roundTrips = new Listeners<readonly number[]>();
	readonly #clocks = new Clocks((error) =>
		this.#store.log(Date.now(), 'warn', error instanceof Error ? error.message : String(error)),
	);
	#window: ConnectionWindow = {offset: 0, limit: 20};
	#snapshot: Snapshot;
	#watch: WatchFigures;
	#listening: readonly ListenerReading[] = [];
	#overflowsAtStart: number | null;
	#children = new Map<number, number | null>();
	/** The threads on each connection's socket at the last reading, by connection id. */
	#onConnection = new Map<number, ConnectionThread[]>();
	/** The bytes the kernel counted by the last reading, and when that reading's `ss` ran. */
	#lastReading: {at: number; bytesIn: number; bytesOut: number} | null = null;
	/** The reading the last rates were measured from. */
	#rateBase: {at: number; bytesIn: number; bytesOut: number} | null = null;
	#rates = {bytesInPerSec: 0, bytesOutPerSec: 0};
	#rateWindow: {from: number; to: number} | null = null;
	#ended: string | null = null;
	/** Called when the watched process is gone, with the line that says how. */
	onGone: ((why: string) => void) | undefined;

	constructor(settings: WatchSettings) {
		this.#settings = settings;
		this.#store = new MetricsStore({host: '', port: 0, handler: settings.handler});
		this.#store.setPlacement('watched', settings.pid);
		this.#proc = new ProcCollector({
			serverPid: () => settings.pid,
			port: () => null,
			exclude: () => new Set(),
			threads: true,
			activity: true,
			otherRoots: () => settings.otherRoots ?? [],
		});
		this.#tracker = new ConnectionTracker(settings.waitMs);
		this.#fleet = new ClientFleet(
			() => this.target(),
			settings.rate,
			{
				onReport: (report) => {
					this.#store.applyClients(report);
					this.#roundTrips.tell(report.rttMicros);
				},
				onExit: (code, signal) =>
					this.#store.log(
						Date.now(),
						'error',
						`test-client process ended (${signal ?? `exit ${code}`})`,
					),
			},
			settings.handler === 'any' ? undefined : settings.handler,
		);
		this.#overflowsAtStart = readListenOverflows();
		this.#watch = {
			listeners: [],
			listenOverflows: null,
			unreadBytes: 0,
			unsentBytes: 0,
			waitThresholdMs: settings.waitMs,
			missing: null,
			owners: [settings.pid, ...(settings.otherRoots ?? [])],
			syscallRefused: null,
		};
		this.#snapshot = this.#compose();
	}

	get snapshot(): Snapshot {
		return this.#snapshot;
	}

	/** Where test clients connect: the first listener of the server. */
	target(): {host: string; port: number} {
		const first = this.#listening[0];
		if (!first) throw new Error('the server listens on no port yet');
		return {host: clientAddress(first), port: first.port};
	}

	/** Reads once (so the first snapshot has the server's ports), then keeps reading. */
	async start(): Promise<void> {
		await this.read();
		this.#store.apply({
			type: 'listening',
			mode: 'watched',
			host: this.#listening[0]?.local.replace(/:\d+$/, '') ?? '',
			port: this.#listening[0]?.port ?? 0,
			at: Date.now(),
		});
		this.#clocks.repeatLater(this.#settings.readMs, () => this.read());
		this.#clocks.repeatLater(HOST_MS, async () => {
			const host = this.#machine.read();
			if (host !== null) this.#store.setHost(host);
		});
		this.#clocks.every(this.#settings.tickMs, () => {
			this.#store.roll(Date.now());
			this.#rollRates();
			this.#publish();
		});
		this.#publish();
	}

	/** One reading of /proc and the kernel's TCP tables, folded into the store. */
	async read(now = Date.now()): Promise<void> {
		if (this.#ended !== null) return;
		const os = await this.#proc.collect(now);
		if (os.processes.length === 0) {
			this.#ended = await this.#howEnded();
			// Read, and none is alive: 0 processes (null would say not read yet).
			this.#store.setOs({...os, acceptQueue: null});
			this.#rates = {bytesInPerSec: 0, bytesOutPerSec: 0};
			this.#rateWindow = null;
			this.#store.log(now, 'warn', this.#ended);
			this.#publish();
			this.onGone?.(this.#ended);
			return;
		}
		const pids = os.processes.map((process) => process.pid);
		const all = await readListeners();
		// The ports come from the last reading's owners, and the owners are read after the
		// connections: a socket ss lists as accepted is then always found in some process's fds.
		if (this.#listening.length === 0) this.#listening = this.#ours(all, socketOwners(pids).owners);
		const ports = [...new Set(this.#listening.map((listener) => listener.port))];
		const readAt = Date.now();
		// Asked before the sockets are listed, so a client it names had connected by then.
		const unaccepted = this.#store.unacceptedClients(MAX_SERVER_SIDE);
		const sockets = await readConnections(ports);
		const {owners, missing} = socketOwners(pids);
		if (missing !== null && this.#watch.missing === null) this.#store.log(now, 'warn', missing);
		this.#listening = this.#ours(all, owners);
		for (const event of this.#tracker.update(sockets, owners, now)) this.#store.apply(event);
		this.#lastReading = {at: readAt, ...this.#tracker.moved};
		this.#rateBase ??= this.#lastReading;
		const refused = this.#proc.refused;
		if (refused !== null && !this.#watch.syscallRefused) {
			this.#store.log(
				now,
				'warn',
				`cannot read the threads' system calls (${refused}): their states come from wchan and stat, without fds or connections; watch as the server's user or as root, and see /proc/sys/kernel/yama/ptrace_scope`,
			);
		}
		this.#followChildren(pids.slice(1), now);
		const acceptQueue = this.#listening.reduce((sum, listener) => sum + listener.acceptQueue, 0);
		this.#store.setOs({
			...os,
			processes: this.#joinConnections(os.processes),
			acceptQueue: ports.length > 0 ? acceptQueue : null,
		} satisfies OsFigures);
		// The test clients whose SYNs the server's full backlog drops: one more ss, for the first port.
		const waits = ports.length > 0 ? await readListenWaits(ports[0]!) : null;
		this.#store.setKernelWaits({
			backlog: waits?.backlog ?? null,
			synSent: waits?.synSent ?? null,
			counters: readListenCounters(),
			// Every server-side socket on the ports was listed: a client missing from it is half-open.
			serverSide: serverSides(
				unaccepted,
				new Map(sockets.map((socket) => [socket.peer, socket.inode !== 0])),
			),
		});
		const overflows = readListenOverflows();
		this.#watch = {
			listeners: this.#listening.map((listener) => ({
				address: listener.local,
				port: listener.port,
				acceptQueue: listener.acceptQueue,
				backlog: listener.backlog,
			})),
			listenOverflows:
				overflows === null || this.#overflowsAtStart === null
					? null
					: overflows - this.#overflowsAtStart,
			unreadBytes: sockets.reduce((sum, socket) => sum + socket.unread, 0),
			unsentBytes: sockets.reduce((sum, socket) => sum + socket.unsent, 0),
			waitThresholdMs: this.#settings.waitMs,
			missing,
			owners: this.#watch.owners ?? [],
			syscallRefused: refused,
			connections: this.#tracker.list(MAX_LISTED),
		};
	}

	/**
	 * Each thread's fd joined to what it is: a connection (its id and peer) or a listener; and, the
	 * other way, the threads on each connection, for its row.
	 */
	#joinConnections(processes: readonly ProcessFigures[]): ProcessFigures[] {
		const connections = this.#tracker.byInode();
		const listeners = new Map(this.#listening.map((listener) => [listener.inode, listener.local]));
		const joined = joinThreads(processes, (inode) => {
			const connection = connections.get(inode);
			if (connection) return {id: connection.id, peer: connection.peer};
			const listener = listeners.get(inode);
			return listener === undefined ? null : {id: null, peer: `listener ${listener}`};
		});
		const onConnection = new Map<number, ConnectionThread[]>();
		for (const process of joined) {
			for (const task of process.tasks ?? []) {
				const id = task.connection?.id;
				if (id == null || !task.activity) continue;
				const list = onConnection.get(id) ?? [];
				list.push({
					pid: process.pid,
					tid: task.tid,
					kind: task.activity.kind,
					call: task.activity.call,
					forMs: task.activity.forMs,
				});
				onConnection.set(id, list);
			}
		}
		this.#onConnection = onConnection;
		return joined;
	}

	/**
	 * Bytes per second between the reading the last rates ended at and the latest one, divided by
	 * the time between the two readings (not the frame interval: readings and frames do not keep
	 * step, and a frame may hold one reading or three).
	 */
	#rollRates(): void {
		const base = this.#rateBase;
		const last = this.#lastReading;
		if (base === null || last === null || last.at <= base.at) return;
		const seconds = (last.at - base.at) / 1000;
		this.#rates = {
			bytesInPerSec: (last.bytesIn - base.bytesIn) / seconds,
			bytesOutPerSec: (last.bytesOut - base.bytesOut) / seconds,
		};
		this.#rateWindow = {from: base.at, to: last.at};
		this.#rateBase = last;
	}

	/** The line that says how the watched process ended: a zombie its parent has not reaped, or gone. */
	async #howEnded(): Promise<string> {
		const pid = this.#settings.pid;
		const reading = await readProcess(pid);
		if (reading?.state === 'Z') {
			return `the watched process ${pid} has ended: it is a zombie that its parent ${reading.ppid} has not reaped`;
		}
		return `the watched process ${pid} has ended`;
	}

	/** The listeners the server holds (or, with --port, those on that port). */
	#ours(all: readonly ListenerReading[], owners: ReadonlyMap<number, number>): ListenerReading[] {
		const port = this.#settings.port;
		return all.filter((listener) =>
			port === null ? owners.has(listener.inode) : listener.port === port,
		);
	}

	/** The server's child processes as the store's workers: up, down, and the connection each holds. */
	#followChildren(children: readonly number[], now: number): void {
		const held = this.#tracker.heldBy();
		const alive = new Set(children);
		for (const [pid] of this.#children) {
			if (alive.has(pid)) continue;
			this.#children.delete(pid);
			const worker = {kind: 'process', pid} as const;
			this.#store.apply({
				type: 'worker-down',
				worker,
				mode: 'child',
				reason: 'exited',
				expected: true,
				at: now,
			});
		}
		for (const pid of children) {
			const worker = {kind: 'process', pid} as const;
			const connection = held.get(pid) ?? null;
			if (!this.#children.has(pid)) {
				this.#store.apply({
					type: 'worker-up',
					worker,
					mode: 'child',
					connection,
					startupMs: null,
					at: now,
				});
			} else if (this.#children.get(pid) !== connection) {
				this.#store.apply({type: 'worker-busy', worker, connection, at: now});
			}
			this.#children.set(pid, connection);
		}
	}

	readonly subscribe = this.#snapshots.add;

	readonly onRoundTrips = this.#roundTrips.add;

	/** Only the test-client keys mean something here: the server is not ours to change. */
	readonly capabilities: SourceCapabilities = {
		actions: new Set(['add-clients', 'drop-clients']),
		otherwise: 'watch only adds and drops test clients: the server is not ours to change',
		quit: 'stop',
	};

	async dispatch(action: Action): Promise<ActionResult> {
		if (this.#clocks.isStopped) return refused('watch is stopping');
		const why = unavailable(action, this.capabilities);
		if (why !== null) return refused(why);
		if (action.type === 'add-clients') {
			if (this.#listening.length === 0) {
				const text = 'no listening port to send test clients to';
				this.#store.log(Date.now(), 'warn', text);
				return refused(text);
			}
			this.#fleet.add(action.count);
		} else if (action.type === 'drop-clients') this.#fleet.drop(action.count);
		this.#publish();
		return DONE;
	}

	setWindow(window: ConnectionWindow): void {
		this.#window = window;
		this.#publish();
	}

	log(level: 'info' | 'warn' | 'error', text: string): void {
		this.#store.log(Date.now(), level, text);
	}

	/** Ends the clocks and the test clients; the watched server is not ours to stop. */
	async stop(): Promise<void> {
		if (!this.#clocks.stop()) return;
		await this.#fleet.stop();
	}

	#compose(): Snapshot {
		const snapshot = this.#store.snapshot(this.#window);
		const extras = this.#tracker.extras();
		const rows = snapshot.connections.rows.map((row) => {
			const extra = extras.get(row.id);
			if (!extra) return row;
			return {
				...row,
				// The owner as of the last reading: a child that took the socket over is named.
				by: extra.owner === null ? row.by : ({kind: 'process', pid: extra.owner} as const),
				waitIn: extra.place ?? row.waitIn,
				unread: extra.unread,
				unsent: extra.unsent,
				threads: this.#onConnection.get(row.id) ?? [],
			};
		});
		return {
			...snapshot,
			traffic: {...snapshot.traffic, ...this.#rates},
			connections: {...snapshot.connections, rows},
			watch: {...this.#watch, ended: this.#ended, rateWindow: this.#rateWindow},
		};
	}

	#publish(): void {
		this.#snapshot = this.#compose();
		this.#snapshots.tell(this.#snapshot);
	}
}
