import {runSs as runSsCommand, SS, type SsFailed} from './ss.js';
import {readdirSync, readFileSync, readlinkSync} from 'node:fs';

// What the kernel knows about a server's TCP sockets, for `watch`: its listeners and the
// connections on their ports, each with its TCP counters, from sock_diag through `ss` (iproute2).
// `ss -p` would find the owners too, but it reads every fd of every process on the machine;
// here only the watched processes' fds are read (their socket inodes), which is what lets a
// connection be pinned to the process that holds it (a child, for process-per-client).

/** One TCP connection on a watched port, as `ss -tinHe` reports it. */
export type SocketReading = {
	readonly state: string;
	/** Bytes received that the server has not read yet (Recv-Q). */
	readonly unread: number;
	/** Bytes the server wrote that the peer has not acknowledged yet (Send-Q). */
	readonly unsent: number;
	readonly local: string;
	readonly peer: string;
	readonly localPort: number;
	/** The socket's inode; 0 while the connection waits in the accept queue (no process holds it). */
	readonly inode: number;
	/** tcp_info: bytes received from the peer, and bytes the peer acknowledged. */
	readonly bytesReceived: number;
	readonly bytesAcked: number;
};

/** A listening socket: its accept queue (Recv-Q) against its backlog (Send-Q of a listener). */
export type ListenerReading = {
	readonly local: string;
	readonly port: number;
	readonly acceptQueue: number;
	readonly backlog: number;
	readonly inode: number;
};

const SS_TIMEOUT_MS = 5000;
/** `ss` output at 20,000 connections is about 20 MB; never hold more than this. */
const SS_MAX_BUFFER = 64 * 1024 * 1024;

const NO_SS =
	'ss (iproute2) is not installed in /usr/bin, /bin, /usr/sbin or /sbin: watch reads the kernel TCP tables through it';

/** Why `ss` could not be run, for one line to the user. */
export class SocketsUnavailable extends Error {
	override readonly name = 'SocketsUnavailable';
}

export {SS};

async function runSs(args: readonly string[]): Promise<string> {
	try {
		return await runSsCommand(args, {timeoutMs: SS_TIMEOUT_MS, maxBuffer: SS_MAX_BUFFER});
	} catch (error) {
		const failure = error as SsFailed;
		throw new SocketsUnavailable(
			failure.code === 'ENOENT' ? NO_SS : `ss failed: ${failure.message}`,
		);
	}
}

const portFilter = (ports: readonly number[]) =>
	ports.length === 0
		? []
		: ['(', ...ports.flatMap((port, i) => [...(i ? ['or'] : []), 'sport', '=', `:${port}`]), ')'];

/** Every TCP listener of the machine (few, and cheap to list). */
export async function readListeners(): Promise<ListenerReading[]> {
	return parseListeners(await runSs(['-ltnHe']));
}

/** The connections whose local port is one of `ports`: the server's side of each. */
export async function readConnections(ports: readonly number[]): Promise<SocketReading[]> {
	if (ports.length === 0) return [];
	return parseConnections(await runSs(['-tinHe', ...portFilter(ports)]));
}

const PORT_AT_END = /:(\d+)$/;

/** Parses `ss -ltnHe`. Exported for tests. */
export function parseListeners(output: string): ListenerReading[] {
	const listeners: ListenerReading[] = [];
	for (const line of output.split('\n')) {
		const fields = line.trim().split(/\s+/);
		if (fields[0] !== 'LISTEN' || fields.length < 5) continue;
		const local = fields[3]!;
		listeners.push({
			local,
			port: Number(PORT_AT_END.exec(local)?.[1] ?? Number.NaN),
			acceptQueue: Number(fields[1]),
			backlog: Number(fields[2]),
			inode: Number(/\bino:(\d+)/.exec(line)?.[1] ?? 0),
		});
	}
	return listeners.filter((listener) => Number.isFinite(listener.port));
}

const counter = (text: string, name: string) =>
	Number(new RegExp(`\\b${name}:(\\d+)`).exec(text)?.[1] ?? 0);

/** One socket of `ss -Hi` output, not yet read into figures. */
export type SsSocket = {
	readonly line: string;
	/** State, Recv-Q, Send-Q, local address, peer address, then the rest of the line. */
	readonly fields: readonly string[];
	/** Its tcp_info line; '' where there is none. */
	readonly info: string;
};

/**
 * The sockets in `ss -Hi` output: a line per socket, its state first (ss leaves that column out
 * only when one state alone is asked for), then an indented line of its tcp_info. A line of fewer
 * than five fields is passed over.
 */
export function ssSockets(output: string): SsSocket[] {
	const sockets: SsSocket[] = [];
	const lines = output.split('\n');
	for (let i = 0; i < lines.length; i++) {
		const line = lines[i]!;
		if (line === '' || /^\s/.test(line)) continue;
		const fields = line.trim().split(/\s+/);
		if (fields.length < 5) continue;
		const next = lines[i + 1] ?? '';
		sockets.push({line, fields, info: /^\s/.test(next) ? next : ''});
	}
	return sockets;
}

/** Parses `ss -tinHe`. Exported for tests. */
export function parseConnections(output: string): SocketReading[] {
	return ssSockets(output).map(({line, fields, info}) => {
		const local = fields[3]!;
		return {
			state: fields[0]!,
			unread: Number(fields[1]),
			unsent: Number(fields[2]),
			local,
			peer: fields[4]!,
			localPort: Number(PORT_AT_END.exec(local)?.[1] ?? 0),
			inode: counter(line, 'ino'),
			bytesReceived: counter(info, 'bytes_received'),
			bytesAcked: counter(info, 'bytes_acked'),
		};
	});
}

/** What a process's fds could not tell: one line naming the missing right. */
export type InodeOwners = {
	readonly owners: Map<number, number>;
	/** Null when every process could be read. */
	readonly missing: string | null;
};

/**
 * Maps each socket inode held by `pids` to the pid that holds it. A socket held by several (a
 * parent that forked a child for it and has not closed its copy yet) goes to the last of `pids`:
 * give parents first, and the child that serves the connection is named.
 */
export function socketOwners(pids: readonly number[]): InodeOwners {
	const owners = new Map<number, number>();
	let missing: string | null = null;
	for (const pid of pids) {
		let fds: string[];
		try {
			fds = readdirSync(`/proc/${pid}/fd`);
		} catch (error: unknown) {
			if ((error as NodeJS.ErrnoException).code === 'EACCES') {
				missing ??= `cannot read /proc/${pid}/fd (${ownerOf(pid)}), so its sockets cannot be told apart: watch as that user, or as root (CAP_SYS_PTRACE)`;
			}
			continue;
		}
		for (const fd of fds) {
			let target: string;
			try {
				target = readlinkSync(`/proc/${pid}/fd/${fd}`);
			} catch {
				continue;
			}
			if (!target.startsWith('socket:[')) continue;
			owners.set(Number(target.slice(8, -1)), pid);
		}
	}
	return {owners, missing};
}

/** The processes among `pids` that hold any of the sockets `inodes` (a listener is held by every process that inherited it). */
export function socketHolders(
	pids: readonly number[],
	inodes: ReadonlySet<number>,
): {holders: Set<number>; missing: string | null} {
	const holders = new Set<number>();
	let missing: string | null = null;
	for (const pid of pids) {
		let fds: string[];
		try {
			fds = readdirSync(`/proc/${pid}/fd`);
		} catch (error: unknown) {
			if ((error as NodeJS.ErrnoException).code === 'EACCES')
				missing ??= `cannot read /proc/${pid}/fd`;
			continue;
		}
		for (const fd of fds) {
			try {
				const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
				if (target.startsWith('socket:[') && inodes.has(Number(target.slice(8, -1)))) {
					holders.add(pid);
					break;
				}
			} catch {
				// The fd closed meanwhile.
			}
		}
	}
	return {holders, missing};
}

function ownerOf(pid: number): string {
	try {
		const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
		return uid === undefined ? 'another user' : `owned by uid ${uid}`;
	} catch {
		return 'another user';
	}
}

/**
 * TcpExt ListenOverflows from /proc/net/netstat: connections dropped at a full accept queue, for
 * the whole network namespace (the kernel does not count them per listener). Null if unreadable.
 */
export function readListenOverflows(): number | null {
	return fromNetstat(listenOverflowsIn);
}

/** `parse` applied to /proc/net/netstat; null if it cannot be read. */
export function fromNetstat<T>(parse: (netstat: string) => T | null): T | null {
	try {
		return parse(readFileSync('/proc/net/netstat', 'utf8'));
	} catch {
		return null;
	}
}

/** Parses /proc/net/netstat for ListenOverflows. */
export function listenOverflowsIn(netstat: string): number | null {
	return tcpExtCounterIn(netstat, 'ListenOverflows');
}

/**
 * Parses /proc/net/netstat (a header line of names, then a line of values, per section): the
 * TcpExt counter `name`, or null where there is none.
 */
export function tcpExtCounterIn(netstat: string, name: string): number | null {
	const lines = netstat.split('\n');
	for (let i = 0; i + 1 < lines.length; i++) {
		if (!lines[i]!.startsWith('TcpExt:')) continue;
		const names = lines[i]!.split(/\s+/);
		const values = lines[i + 1]!.split(/\s+/);
		const at = names.indexOf(name);
		return at === -1 ? null : Number(values[at]);
	}
	return null;
}
