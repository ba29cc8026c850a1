/**
 * Who is at the other end of an observer's connection, for the log: the address and its uid (from
 * tcp-owner.ts) for TCP, the process and its uid for the Unix socket. Node has no SO_PEERCRED; the
 * kernel's sock_diag, which `ss -xp` reads, gives the peer socket's inode and the process holding
 * it, and /proc that process's uid.
 */
import {readFileSync, readlinkSync} from 'node:fs';
import type {Socket} from 'node:net';
import {runSs} from '../collectors/ss.js';

/** One `ss` run answers every lookup that waits for it; never more than one at a time. */
let running: Promise<Map<number, UnixSocketRow>> | undefined;
let next: Promise<Map<number, UnixSocketRow>> | undefined;

type UnixSocketRow = {readonly peer: number; readonly pid: number | undefined};

/** `u_str ESTAB 0 0 /path/1.sock 9966 * 9965 users:(("node",pid=7671,fd=21))`, keyed by 9966. */
export function parseUnixSockets(text: string): Map<number, UnixSocketRow> {
	const rows = new Map<number, UnixSocketRow>();
	for (const line of text.split('\n')) {
		// Netid State Recv-Q Send-Q, the local address (a path may hold spaces) and inode, the peer's.
		const match =
			/^u_\S+\s+\S+\s+\d+\s+\d+\s+.*?\s(\d+)\s+\S+\s+(\d+)(?:\s+users:\(\("[^"]*",pid=(\d+),)?/.exec(
				line,
			);
		if (!match) continue;
		rows.set(Number(match[1]), {
			peer: Number(match[2]),
			pid: match[3] === undefined ? undefined : Number(match[3]),
		});
	}
	return rows;
}

async function readUnixSockets(): Promise<Map<number, UnixSocketRow>> {
	const stdout = await runSs(['-xpn'], {timeoutMs: 2000, maxBuffer: 8 * 1024 * 1024}).catch(
		() => null,
	);
	return stdout === null ? new Map() : parseUnixSockets(stdout);
}

function unixSockets(): Promise<Map<number, UnixSocketRow>> {
	if (!running) {
		running = readUnixSockets().finally(() => (running = undefined));
		return running;
	}
	// A run under way may have started before this connection existed: wait for the one after.
	next ??= running.then(() => {
		next = undefined;
		return unixSockets();
	});
	return next;
}

function uidOf(pid: number): string {
	try {
		return /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
	} catch {
		return '?';
	}
}

async function unixPeer(socket: Socket): Promise<string> {
	const fd = (socket as unknown as {_handle?: {fd?: number}})._handle?.fd;
	let inode: number;
	try {
		inode = Number(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1]);
	} catch {
		return 'unix socket, peer unknown';
	}
	const rows = await unixSockets();
	const peer = rows.get(inode);
	const pid = peer === undefined ? undefined : rows.get(peer.peer)?.pid;
	return pid === undefined ? 'unix socket, peer unknown' : `uid ${uidOf(pid)} pid ${pid}`;
}

/**
 * The peer of `socket` as a log shows it: `127.0.0.1:53412 uid 1000` (the uid from /proc/net/tcp,
 * `uid ?` when it cannot be told), `[::1]:53412 uid 0`, or `uid 0 pid 4242` on the Unix socket.
 */
export function describePeer(socket: Socket, uid?: number | null): Promise<string> {
	const address = socket.remoteAddress;
	if (address === undefined) return unixPeer(socket);
	return Promise.resolve(
		`${address.includes(':') ? `[${address}]` : address}:${socket.remotePort ?? '?'} uid ${uid ?? '?'}`,
	);
}
