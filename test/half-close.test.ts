import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import net from 'node:net';
import {test} from 'node:test';
import {MODE_NAMES} from '../source/server/mode.js';
import {startHost, startServerProcess} from './helpers/servers.js';

/**
 * A client that sends and then shuts its write side (`shutdown(SHUT_WR)`, as
 * `nc -N` does) gets every byte back before the server closes. Reactor truncated 256 KB to exactly
 * 131,072 bytes; thread, pool and hybrid returned nothing.
 */
const SIZES = [12, 4096, 256 * 1024, 2 * 1024 * 1024];

/** Cases that wait for the lead's rewrite of thread, pool and hybrid (a worker owning its socket). */

/**
 * Sends `data`, shuts the write side at once (the FIN follows the last byte) and collects what comes
 * back until the server closes its side. Rejects after `timeoutMs`.
 */
async function sendAndShut(port: number, data: Buffer, timeoutMs = 20_000): Promise<Buffer> {
	const socket = net.connect({host: '127.0.0.1', port, allowHalfOpen: true});
	const chunks: Buffer[] = [];
	socket.on('data', (chunk: Buffer) => chunks.push(chunk));
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			socket.destroy();
			reject(
				new Error(`no close within ${timeoutMs} ms (${Buffer.concat(chunks).length} bytes back)`),
			);
		}, timeoutMs);
		socket.once('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
		// The server's FIN (or close): everything it was going to send has arrived.
		socket.once('end', () => {
			clearTimeout(timer);
			socket.end();
			resolve(Buffer.concat(chunks));
		});
		socket.once('connect', () => socket.end(data));
	});
}

/** Lines of random letters, so a message count is real and a lost or reordered byte shows. */
function payload(size: number): Buffer {
	const bytes = randomBytes(size);
	for (let i = 0; i < size; i++) bytes[i] = (i + 1) % 64 === 0 ? 10 : 0x61 + (bytes[i]! % 26);
	bytes[size - 1] = 10;
	return bytes;
}

async function checkEverySize(port: number): Promise<void> {
	for (const size of SIZES) {
		const sent = payload(size);
		const back = await sendAndShut(port, sent);
		assert.equal(back.length, sent.length, `${size} B sent, ${back.length} B back`);
		assert.ok(back.equals(sent), `${size} B: the bytes differ`);
	}
}

for (const mode of MODE_NAMES) {
	test(`half-close, in-process: ${mode} returns every byte of 12 B, 4 KB, 256 KB and 2 MB`, async () => {
		const {host, port} = await startHost(mode, 'echo', {maxWorkers: 4, poolSize: 4});
		try {
			await checkEverySize(port);
		} finally {
			await host.stop();
		}
	});
	test(`half-close, server process: ${mode} returns every byte of 12 B, 4 KB, 256 KB and 2 MB`, async () => {
		const {runner, port} = await startServerProcess(mode, {maxWorkers: 4});
		try {
			await checkEverySize(port);
		} finally {
			await runner.stop();
		}
	});
}
