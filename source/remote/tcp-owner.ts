/**
 * Who owns a TCP socket of this machine, as identd answers it: the uid column of the kernel's
 * /proc/net/tcp and tcp6, for the row whose local address is the socket's own end. For a peer of
 * ours, that end is our socket's remote address, and its remote end our local one.
 */
import {closeSync, openSync, readSync} from 'node:fs';
import type {Socket} from 'node:net';
import path from 'node:path';
import {hexAddress} from '../collectors/proc.js';

/** Where the tables are; tests point it at a folder without them, as on a machine without /proc. */
export const PROC_NET = '/proc/net';

type End = {readonly address: string; readonly port: number};

/** `::ffff:127.0.0.1` as the tables show it (v4-mapped as plain v4), the rest as Node writes it. */
const plain = (address: string) => address.replace(/^::ffff:(?=\d+\.)/i, '').toLowerCase();

function rowEnd(field: string): End {
	const [address, port] = field.split(':') as [string, string];
	return {address: hexAddress(address), port: Number.parseInt(port, 16)};
}

const same = (a: End, b: End) => a.port === b.port && plain(a.address) === plain(b.address);

/**
 * A table, in large reads: the kernel walks its whole socket hash for each read of the file, so
 * fewer, larger reads cost less (about 1 ms here against 1.7 for readFileSync's).
 */
function readTable(file: string): string {
	const fd = openSync(file, 'r');
	try {
		const chunks: Buffer[] = [];
		for (;;) {
			const chunk = Buffer.allocUnsafe(256 * 1024);
			const read = readSync(fd, chunk, 0, chunk.length, null);
			if (read <= 0) break;
			chunks.push(chunk.subarray(0, read));
		}
		return Buffer.concat(chunks).toString('latin1');
	} finally {
		closeSync(fd);
	}
}

/** The table that holds a connection between these ends: tcp6 for IPv6 and v4-mapped ends. */
const tablesFor = (own: End) => (own.address.includes(':') ? ['tcp6', 'tcp'] : ['tcp', 'tcp6']);

/**
 * The uid that owns the socket whose own end is `own` and whose other end is `other`: undefined
 * when no row has them (a peer on another machine or in another network namespace, or gone), null
 * when neither table can be read (no /proc: nobody can be told apart by uid).
 */
export function tcpOwner(own: End, other: End, procNet = PROC_NET): number | undefined | null {
	return tcpOwners([{own, other}], procNet)[0]!;
}

/**
 * {@link tcpOwner} for many sockets at once, each table read (walked by the kernel) at most once.
 */
export function tcpOwners(
	sockets: ReadonlyArray<{readonly own: End; readonly other: End}>,
	procNet = PROC_NET,
): Array<number | undefined | null> {
	const owners: Array<number | undefined | null> = sockets.map(() => undefined);
	let readable = false;
	const names = [...new Set(sockets.flatMap(({own}) => tablesFor(own)))];
	for (const name of names) {
		if (sockets.every((_, at) => owners[at] !== undefined)) break;
		let table: string;
		try {
			table = readTable(path.join(procNet, name));
		} catch {
			continue;
		}
		readable = true;
		for (const line of table.split('\n').slice(1)) {
			// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid …
			const fields = line.trim().split(/\s+/);
			if (fields.length < 8) continue;
			const local = rowEnd(fields[1]!);
			const remote = rowEnd(fields[2]!);
			sockets.forEach(({own, other}, at) => {
				if (owners[at] === undefined && same(local, own) && same(remote, other))
					owners[at] = Number(fields[7]);
			});
		}
	}
	return readable ? owners : owners.map(() => null);
}

/** Whether the tables can be read at all: without them, only a token tells who connects. */
export function canTellOwners(procNet = PROC_NET): boolean {
	return ['tcp', 'tcp6'].some((name) => {
		try {
			closeSync(openSync(path.join(procNet, name), 'r'));
			return true;
		} catch {
			return false;
		}
	});
}

/** The ends of a TCP `socket` as its peer's row has them: the peer's own end first. */
export function peerEnds(socket: Socket): {own: End; other: End} | undefined {
	const {remoteAddress, remotePort, localAddress, localPort} = socket;
	if (remoteAddress === undefined || remotePort === undefined) return undefined;
	if (localAddress === undefined || localPort === undefined) return undefined;
	return {
		own: {address: remoteAddress, port: remotePort},
		other: {address: localAddress, port: localPort},
	};
}

/** The uid of the process at the other end of a TCP `socket` (see {@link tcpOwner}). */
export function peerUid(socket: Socket, procNet = PROC_NET): number | undefined | null {
	const ends = peerEnds(socket);
	return ends === undefined ? undefined : tcpOwner(ends.own, ends.other, procNet);
}
