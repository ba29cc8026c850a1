import {runSs, SS} from './ss.js';
import {readAcceptQueue} from './proc.js';
import {fromNetstat, ssSockets, tcpExtCounterIn} from './sockets.js';

// Where clients of a port wait before the server has them, as the kernel knows it: the listener's
// accept queue against its backlog, and this machine's sockets whose SYN has no answer yet.

/** A socket of this machine still connecting to the port (SYN-SENT): its SYN has had no answer. */
export type SynSent = {
	/** Its local address, formatted as the server names peers (`127.0.0.1:40112`). */
	readonly local: string;
	/** SYNs the kernel has retransmitted for it so far (tcp_info total_retrans, ss `retrans:N/M`). */
	readonly synRetries: number;
};

export type ListenWaits = {
	/** Connections completed by the kernel and not yet accepted (the listeners' Recv-Q), summed. */
	readonly acceptQueue: number;
	/**
	 * The backlog the kernel holds (a listener's Send-Q): it queues backlog + 1 before dropping SYNs.
	 * Several listeners on the port (cluster, async's accept handles share one) report the largest.
	 */
	readonly backlog: number | null;
	/** This machine's sockets connecting to the port whose handshake has not completed, at most MAX_SYN_SENT. */
	readonly synSent: readonly SynSent[];
};

/** One reading of the kernel's waits for the store (metrics/store.ts setKernelWaits). */
export type KernelWaitsReading = {
	readonly backlog: number | null;
	/** Null: not read (no ss). */
	readonly synSent: readonly SynSent[] | null;
	readonly counters: ListenCounters | null;
	/**
	 * The server's side of the connected test clients it had not said it accepted, by the client's
	 * address: `accepted` (a process holds the socket), `queue` (established, no inode yet: in the
	 * accept queue) or `none` (no established socket at all: its ACK was dropped at the full queue,
	 * half-open). A client not in it was not asked about. Null: not known (no ss).
	 */
	readonly serverSide: ReadonlyMap<string, ServerSide> | null;
};

export type ServerSide = 'accepted' | 'queue' | 'none';

/** Connected test clients looked up on the server's side in one reading, at most. */
export const MAX_SERVER_SIDE = 64;

/**
 * The accept queue of `port` and the rest of what the kernel says of its waits; where `ss` cannot
 * be run, the accept queue from /proc/net/tcp and nothing else. `unaccepted`: connected test
 * clients the server has not reported, looked up on its side (serverSide).
 */
export async function readKernelWaits(
	port: number,
	unaccepted: readonly string[] = [],
): Promise<{readonly acceptQueue: number | null; readonly reading: KernelWaitsReading}> {
	const waits = await readListenWaits(port);
	const counters = readListenCounters();
	if (waits === null)
		return {
			acceptQueue: await readAcceptQueue(port),
			reading: {backlog: null, synSent: null, counters, serverSide: null},
		};
	const serverSide = await readServerSide(port, unaccepted);
	return {
		acceptQueue: waits.acceptQueue,
		reading: {backlog: waits.backlog, synSent: waits.synSent, counters, serverSide},
	};
}

const ADDRESS = /^(?:[\d.]+|\[[\da-f:.]+\]):\d+$/i;

/**
 * The server's established sockets on `port` whose peer is one of `peers` (the first
 * MAX_SERVER_SIDE), each with whether a process holds it: one in the accept queue has inode 0.
 * Empty without peers; null if ss fails.
 */
export function readServerSide(
	port: number,
	peers: readonly string[],
): Promise<Map<string, ServerSide> | null> {
	// Addresses only (they come from our own clients): nothing else may reach ss's filter.
	const wanted = peers.slice(0, MAX_SERVER_SIDE).filter((peer) => ADDRESS.test(peer));
	if (wanted.length === 0) return Promise.resolve(new Map());
	if (SS === undefined) return Promise.resolve(null);
	const dst = wanted.flatMap((peer, i) => [...(i ? ['or'] : []), 'dst', peer]);
	return new Promise((resolve) => {
		runSs(
			[
				'-Htne',
				'state',
				'established',
				'(',
				'sport',
				'=',
				`:${port}`,
				')',
				'and',
				'(',
				...dst,
				')',
			],
			{timeoutMs: SS_TIMEOUT_MS, maxBuffer: SS_MAX_BUFFER},
		).then(
			(stdout) => resolve(serverSides(wanted, parseServerSide(stdout))),
			() => resolve(null),
		);
	});
}

/** Where each of `asked` is on the server's side, from the established sockets found (peer → held by a process). */
export function serverSides(
	asked: readonly string[],
	found: ReadonlyMap<string, boolean>,
): Map<string, ServerSide> {
	return new Map(
		asked.map((peer) => {
			const held = found.get(peer);
			return [peer, held === undefined ? 'none' : held ? 'accepted' : 'queue'];
		}),
	);
}

/** Parses `ss -Htne state established`: the peer of each, and whether a process holds it (inode not 0). Exported for tests. */
export function parseServerSide(output: string): Map<string, boolean> {
	const sides = new Map<string, boolean>();
	for (const line of output.split('\n')) {
		const fields = line.trim().split(/\s+/);
		if (fields.length < 4) continue;
		const inode = Number(/\bino:(\d+)/.exec(line)?.[1] ?? 0);
		sides.set(peerName(fields[3]!), inode !== 0);
	}
	return sides;
}

/** The most SYN-SENT sockets kept from one reading: as many as the test clients can be. */
export const MAX_SYN_SENT = 10_000;
const SS_TIMEOUT_MS = 2000;
/** Two lines a socket, about 400 bytes: 10,000 of them fit with room to spare. */
const SS_MAX_BUFFER = 16 * 1024 * 1024;

/**
 * One `ss` for both: the listeners on `port` and the sockets connecting to it, with tcp_info for
 * their SYN retransmissions. Null when `ss` is missing or fails (the caller falls back to /proc).
 */
export function readListenWaits(port: number): Promise<ListenWaits | null> {
	return new Promise((resolve) => {
		if (SS === undefined) {
			resolve(null);
			return;
		}
		runSs(
			[
				'-Htni',
				...['state', 'listening', 'state', 'syn-sent'],
				`( sport = :${port} or dport = :${port} )`,
			],
			{timeoutMs: SS_TIMEOUT_MS, maxBuffer: SS_MAX_BUFFER},
		).then(
			(stdout) => resolve(parseListenWaits(stdout, port)),
			() => resolve(null),
		);
	});
}

const PORT_AT_END = /:(\d+)$/;

/**
 * Parses `ss -Htni state listening state syn-sent` (a state column first, since two states are
 * asked for; each socket's tcp_info on an indented line after it). Exported for tests.
 */
export function parseListenWaits(output: string, port: number): ListenWaits {
	let acceptQueue = 0;
	let backlog: number | null = null;
	const synSent: SynSent[] = [];
	for (const {fields, info} of ssSockets(output)) {
		const [state, recvQ, sendQ, local, peer] = fields as [string, string, string, string, string];
		if (state === 'LISTEN' && Number(PORT_AT_END.exec(local)?.[1]) === port) {
			acceptQueue += Number(recvQ) || 0;
			backlog = Math.max(backlog ?? 0, Number(sendQ) || 0);
		} else if (state === 'SYN-SENT' && Number(PORT_AT_END.exec(peer)?.[1]) === port) {
			if (synSent.length >= MAX_SYN_SENT) continue;
			// `retrans:1/3`: unrecovered now / retransmitted in all; a SYN not yet retried has none.
			const retries = Number(/\bretrans:\d+\/(\d+)/.exec(info)?.[1] ?? 0);
			synSent.push({local: peerName(local), synRetries: retries});
		}
	}
	return {acceptQueue, backlog, synSent};
}

/**
 * An address as ss prints it (`[::ffff:127.0.0.1]:4000`, `[fe80::1%eth0]:4000`) in the form the
 * server names peers (server/connection.ts formatAddress): v4-mapped as plain v4, no zone.
 */
export function peerName(address: string): string {
	const at = address.lastIndexOf(':');
	const host = address
		.slice(0, at)
		.replace(/^\[|\]$/g, '')
		.replace(/%.*$/, '')
		.replace(/^::ffff:/i, '');
	const port = address.slice(at + 1);
	return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * SYN retransmissions a connect this old has had, if the kernel retried at 1, 3, 7, 15, 31 and
 * 63 s (the classic exponential timeouts). Derived, not read: kernels with
 * net.ipv4.tcp_syn_linear_timeouts (6.5 and later, 4 by default) retry every second four times
 * first, so where ss can say, its count is the one to show.
 */
export function derivedSynRetries(elapsedMs: number): number {
	let retries = 0;
	for (const at of [1, 3, 7, 15, 31, 63]) if (elapsedMs >= at * 1000) retries++;
	return retries;
}

/** TcpExt ListenOverflows and ListenDrops: the whole machine's (network namespace's) totals. */
export type ListenCounters = {
	/** Connections dropped because an accept queue was full. */
	readonly overflows: number;
	/** Every drop at a listener, overflows included. */
	readonly drops: number;
};

/** Reads /proc/net/netstat; null if unreadable. */
export function readListenCounters(): ListenCounters | null {
	return fromNetstat(listenCountersIn);
}

/** Parses /proc/net/netstat; null unless it has both counters. */
export function listenCountersIn(netstat: string): ListenCounters | null {
	const overflows = tcpExtCounterIn(netstat, 'ListenOverflows');
	const drops = tcpExtCounterIn(netstat, 'ListenDrops');
	return overflows === null || drops === null ? null : {overflows, drops};
}
