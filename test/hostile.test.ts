/**
 * Hostile and broken clients, in every model: bytes that would drive a terminal, a client that
 * never reads, one 64 MB message, clients that say nothing, half-close or reset, and --idle-timeout.
 * Memory is measured on a server in a process of its own (worker placement), so the test's own
 * clients do not count.
 */
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import net from 'node:net';
import {once} from 'node:events';
import {test} from 'node:test';
import {MODE_NAMES} from '../source/server/mode.js';
import {
	fdCount,
	sparesOf,
	startHost,
	startServerProcess,
	threadCount,
	treeRss,
} from './helpers/servers.js';
import {ByteClient, sleep, waitFor} from './helpers/net.js';

const MB = 2 ** 20;

/** Samples `sample` every 25 ms until `work` settles; resolves with the largest value seen. */
async function peakDuring(sample: () => number, work: Promise<unknown>): Promise<number> {
	let peak = sample();
	let done = false;
	const finished = work.finally(() => {
		done = true;
	});
	while (!done) {
		peak = Math.max(peak, sample());
		await Promise.race([finished, sleep(25)]);
	}
	await finished;
	return Math.max(peak, sample());
}

/** Waits for 'drain', or `ms` at most. */
async function drainOr(socket: net.Socket, ms: number): Promise<void> {
	let onDrain = () => {};
	await Promise.race([
		new Promise<void>((resolve) => socket.once('drain', (onDrain = resolve))),
		sleep(ms),
	]);
	socket.off('drain', onDrain);
}

/**
 * RSS growth allowed while one connection moves 64 MB: measured 26-35 MB per model (garbage of
 * 64 KB reads not yet collected; a 256 MB message grows it no further), so 48 MB means bounded and
 * a server that buffered the message would fail.
 */
const RSS_BOUND = 48 * MB;

const ALL_BYTES = Buffer.from(Array.from({length: 256}, (_, i) => i));
const HOSTILE = Buffer.concat([
	Buffer.from('\x1b]0;pwned\x07\x1b[2J\x1b[H\x1b[31mred\x1b[0m\r\x08\x07\x00', 'latin1'),
	Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x90, 0x28, 0xbc, 0xff, 0xfe]),
	ALL_BYTES,
	Buffer.from('\n'),
]);

for (const mode of MODE_NAMES) {
	test(`${mode}: escape sequences, control bytes, invalid UTF-8 and all 256 byte values come back unchanged`, async () => {
		const {host, port} = await startHost(mode);
		try {
			const client = await ByteClient.connect(port);
			const reply = await client.ask(HOSTILE);
			assert.ok(reply.equals(HOSTILE), 'byte-exact echo');
			await client.close();
		} finally {
			await host.stop();
		}
	});
}

for (const mode of MODE_NAMES) {
	test(`${mode}: a client that never reads is no longer read from, is reported stalled, and costs bounded memory`, async (t) => {
		const {runner, events, port, pid} = await startServerProcess(mode);
		try {
			const hog = await ByteClient.connect(port);
			await hog.ask('hello\n', 10_000);
			hog.socket.pause();
			const before = treeRss(pid);
			// Push up to 64 MB for 4 s, as fast as the connection takes it, until the server has taken
			// nothing for 1 s. A server that kept reading would take it all (and hold the replies it
			// cannot send); one that stops reading takes a few MB.
			const chunk = Buffer.alloc(64 * 1024, 'x');
			const taken = () => hog.socket.bytesWritten - hog.socket.writableLength;
			const pushed = (async () => {
				let queued = 0;
				const deadline = Date.now() + 4000;
				let last = 0;
				let progressAt = Date.now();
				while (queued < 64 * MB && Date.now() < deadline && Date.now() - progressAt < 1000) {
					queued += chunk.length;
					if (!hog.socket.write(chunk)) await drainOr(hog.socket, 250);
					if (taken() > last) {
						last = taken();
						progressAt = Date.now();
					}
				}
			})();
			const peak = await peakDuring(() => treeRss(pid), pushed);
			const accepted = taken();
			assert.ok(
				accepted < 24 * MB,
				`the server stopped reading: ${(accepted / MB).toFixed(1)} MB taken`,
			);
			t.diagnostic(
				`server took ${(accepted / MB).toFixed(1)} MB; RSS grew ${((peak - before) / MB).toFixed(1)} MB`,
			);
			assert.ok(
				peak - before < RSS_BOUND,
				`RSS grew ${((peak - before) / MB).toFixed(1)} MB while a client sent without reading`,
			);
			const open = events.find((event) => event.type === 'conn-open');
			await waitFor(
				() =>
					events.some((event) => event.type === 'stall' && event.stalled && event.id === open?.id),
				'a stall event for the client that does not read',
			);
			if (mode !== 'sequential') {
				// Everyone else is served as before (sequential serves one client at a time by design).
				const other = await ByteClient.connect(port);
				const reply = await other.ask('still here\n');
				assert.equal(reply.toString(), 'still here\n');
				await other.close();
			}
			hog.socket.destroy();
		} finally {
			await runner.stop();
		}
	});
}

/**
 * Sends `total` bytes of short lines as fast as the connection takes them, never reading; stops
 * early once the server has taken nothing for `stuckMs` (it stopped reading). Resolves with the
 * bytes the server took.
 */
async function pushLines(socket: net.Socket, total: number, stuckMs: number): Promise<number> {
	const block = Buffer.from(`${'x'.repeat(63)}\n`.repeat(1024));
	const taken = () => socket.bytesWritten - socket.writableLength;
	let queued = 0;
	let progressAt = Date.now();
	let last = 0;
	while (queued < total && Date.now() - progressAt < stuckMs) {
		queued += block.length;
		if (!socket.write(block)) await drainOr(socket, 250);
		if (taken() > last) {
			last = taken();
			progressAt = Date.now();
		}
	}
	return taken();
}

for (const mode of MODE_NAMES) {
	test(`${mode}: with --delay-ms, replies waiting on their delay stop reading like unsent output (256 MB offered, bounded RSS)`, async (t) => {
		const {runner, port, pid} = await startServerProcess(mode, {delayMs: 5});
		try {
			const hog = await ByteClient.connect(port);
			await hog.ask('hello\n', 10_000);
			hog.socket.pause();
			const before = treeRss(pid);
			const pushed = pushLines(hog.socket, 256 * MB, 2000);
			const peak = await peakDuring(() => treeRss(pid), pushed);
			const taken = await pushed;
			t.diagnostic(
				`server took ${(taken / MB).toFixed(1)} MB of 256; RSS grew ${((peak - before) / MB).toFixed(1)} MB`,
			);
			assert.ok(
				peak - before < 64 * MB,
				`RSS grew ${((peak - before) / MB).toFixed(1)} MB with ${(taken / MB).toFixed(1)} MB of delayed replies`,
			);
			assert.ok(taken < 32 * MB, `the server stopped reading: ${(taken / MB).toFixed(1)} MB taken`);
			if (mode !== 'sequential') {
				const other = await ByteClient.connect(port);
				assert.equal((await other.ask('still here\n', 10_000)).toString(), 'still here\n');
				await other.close();
			}
			hog.socket.destroy();
		} finally {
			await runner.stop();
		}
	});
}

for (const mode of MODE_NAMES) {
	test(`${mode}: one 64 MB message without a newline is echoed whole in bounded memory`, async (t) => {
		const {runner, port, pid, events} = await startServerProcess(mode);
		try {
			const client = net.connect({host: '127.0.0.1', port});
			client.on('error', () => {});
			await once(client, 'connect');
			const spares = sparesOf(mode);
			let received = 0;
			let mismatch = -1;
			client.on('data', (chunk: Buffer) => {
				// The message is the bytes 0..250 repeating: byte i of the stream is i % 251.
				for (let i = 0; i < chunk.length && mismatch === -1; i += 4093) {
					if (chunk[i] !== (received + i) % 251) mismatch = received + i;
				}
				received += chunk.length;
			});
			client.write(Buffer.from([0]));
			await waitFor(() => received === 1, 'the first byte back', 10_000);
			// The client took a spare (thread and process per client): the one started in its place
			// is a worker more, not memory the message took.
			if (spares > 0) {
				const ups = () => events.filter((event) => event.type === 'worker-up').length;
				await waitFor(() => ups() > spares, 'the spare taken replaced', 30_000);
			}
			const before = treeRss(pid);
			const total = 64 * MB;
			const block = Buffer.from(Array.from({length: 251 * 1024}, (_, i) => i % 251));
			const transfer = (async () => {
				let sent = 1;
				while (sent < total) {
					const offset = sent % 251;
					const piece = block.subarray(offset, offset + Math.min(250 * 1024, total - sent));
					sent += piece.length;
					if (!client.write(piece)) await once(client, 'drain');
				}
				await waitFor(() => received >= total, 'all 64 MB back', 60_000);
			})();
			const peak = await peakDuring(() => treeRss(pid), transfer);
			assert.equal(received, total);
			assert.equal(mismatch, -1, `echo differs at byte ${mismatch}`);
			t.diagnostic(`RSS grew ${((peak - before) / MB).toFixed(1)} MB`);
			assert.ok(
				peak - before < RSS_BOUND,
				`RSS grew ${((peak - before) / MB).toFixed(1)} MB for one 64 MB message`,
			);
			client.destroy();
		} finally {
			await runner.stop();
		}
	});
}

for (const mode of MODE_NAMES) {
	test(`${mode}: silent, half-closing and resetting clients crash nothing and leak nothing`, async () => {
		const {host, events, port} = await startHost(mode, 'echo', {poolSize: 4});
		const opened = () => events.filter((event) => event.type === 'conn-open').length;
		const closed = () => events.filter((event) => event.type === 'conn-close').length;
		try {
			// Warm up: a first client loads whatever the model loads lazily.
			const first = await ByteClient.connect(port);
			await first.ask('warm\n');
			await first.close();
			await waitFor(
				() => closed() === 1,
				() => 'the warm-up client to close',
			);
			const fds = fdCount();
			const threads = threadCount();
			// Sequential would serve the first silent client forever and keep the rest in line.
			const silentCount = mode === 'sequential' ? 0 : 3;
			const silent = await Promise.all(
				Array.from({length: silentCount}, () => ByteClient.connect(port)),
			);
			const halfClosed = await Promise.all(
				[1, 2, 3].map(async () => {
					const client = await ByteClient.connect(port);
					client.socket.end('half\n');
					return client;
				}),
			);
			for (let i = 0; i < 3; i++) {
				const client = await ByteClient.connect(port);
				client.socket.write(Buffer.alloc(256 * 1024, 'r'));
				client.socket.resetAndDestroy();
			}
			// Silent ones stay (no idle timeout by default); the rest are gone on the server's side.
			// Sequential accepts the resetting ones only after the half-closed ones, from the kernel's
			// accept queue: one reset there before it is accepted is aborted by the kernel and never
			// reaches the server, one reset later is accepted and ends at its first read. So it is
			// settled when the kernel's queue is empty and every connection it opened has closed.
			if (mode === 'sequential') {
				await waitFor(
					() => acceptQueue(port) === 0 && opened() === closed() && closed() >= 4,
					() => `queue ${acceptQueue(port)}, opened ${opened()}, closed ${closed()}`,
				);
			}
			const resetsOpened = mode === 'sequential' ? opened() - 4 : 3;
			await waitFor(
				() => opened() === 4 + resetsOpened + silentCount && closed() === 4 + resetsOpened,
				() => `opened ${opened()}, closed ${closed()}`,
			);
			await Promise.all(
				halfClosed.map((client) => client.socket.destroyed || once(client.socket, 'close')),
			);
			assert.ok(
				silent.every((client) => !client.socket.destroyed),
				'silent clients are kept',
			);
			const after = await ByteClient.connect(port);
			assert.equal((await after.ask('alive\n')).toString(), 'alive\n');
			await Promise.all([...silent, after].map((client) => client.close()));
			// Sequential: a resetting client may still have been on its way into the kernel's queue
			// when it read empty above, and be accepted (and closed) after: every opened one closes.
			await waitFor(
				() =>
					mode === 'sequential'
						? opened() >= 5 && closed() === opened()
						: closed() === 5 + resetsOpened + silentCount,
				() => `opened ${opened()}, closed ${closed()} of ${5 + resetsOpened + silentCount}`,
			);
			await waitFor(
				() => fdCount() <= fds && threadCount() <= threads + 1,
				() => `fds ${fdCount()} (was ${fds}), threads ${threadCount()} (was ${threads})`,
			);
		} finally {
			await host.stop();
		}
	});
}

for (const mode of MODE_NAMES) {
	test(`${mode}: --idle-timeout closes a silent connection and keeps a talking one`, async () => {
		const {host, events, port} = await startHost(mode, 'echo', {idleTimeoutMs: 1000, poolSize: 4});
		try {
			const talker = await ByteClient.connect(port);
			await talker.ask('first\n');
			const silent = await ByteClient.connect(port);
			// Sequential serves one client at a time: the silent one is served once the talker leaves.
			if (mode === 'sequential') await talker.close();
			const servedAt = Date.now();
			let closedAt = 0;
			silent.socket.once('close', () => {
				closedAt = Date.now();
			});
			while (closedAt === 0 && Date.now() - servedAt < 8000) {
				if (mode !== 'sequential') {
					assert.equal((await talker.ask('ping\n')).toString(), 'ping\n');
				}
				await sleep(250);
			}
			assert.ok(closedAt > 0, 'the silent connection was closed');
			assert.ok(
				closedAt - servedAt >= 900,
				`closed after ${closedAt - servedAt} ms, not before 1 s`,
			);
			if (mode !== 'sequential') {
				assert.equal(talker.socket.destroyed, false, 'the talking client is still connected');
				assert.equal((await talker.ask('still\n')).toString(), 'still\n');
				await talker.close();
			}
			await waitFor(
				() =>
					events.some(
						(event) => event.type === 'log' && /silent for 1 s \(--idle-timeout\)/.test(event.text),
					),
				'the reason in the log',
			);
		} finally {
			await host.stop();
		}
	});
}

/** The kernel's accept queue of the listener on `port` (Recv-Q of `ss -ltn`). */
function acceptQueue(port: number): number {
	const line = execFileSync('ss', ['-Hltn', `sport = :${port}`], {encoding: 'utf8'});
	return Number(line.trim().split(/\s+/)[1] ?? Number.NaN);
}
