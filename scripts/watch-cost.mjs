#!/usr/bin/env node
/* global process, console, setTimeout, performance, URL */
/**
 * What one refresh of `watch` costs at N connections: starts a Node echo server, opens N idle
 * connections to it from this process, then times the watch source's reading of /proc and the
 * kernel's TCP tables (ss) R times. CPU counts this process and its reaped children (the ss runs).
 * Needs `npm run build` first.
 *
 *   node scripts/watch-cost.mjs [--connections 1000] [--readings 20] [--threads]
 *
 * --threads: the tutorial's thread-per-client server instead (examples/python/thread_server.py), so
 * there is one OS thread per connection, and each one's system call, fd and run count are read.
 */
import {spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';
import net from 'node:net';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {WatchSource} from '../dist/source/watch/watch-source.js';

const {values} = parseArgs({
	options: {
		connections: {type: 'string', default: '1000'},
		readings: {type: 'string', default: '20'},
		threads: {type: 'boolean', default: false},
	},
});
const count = Number(values.connections);
const readings = Number(values.readings);

/** A port of 127.0.0.1 that was free a moment ago. */
async function freePort() {
	const probe = net.createServer().listen(0, '127.0.0.1');
	await new Promise((resolve) => probe.once('listening', resolve));
	const {port} = probe.address();
	await new Promise((resolve) => probe.close(resolve));
	return port;
}

const port = await freePort();
const server = values.threads
	? spawn(
			'python3',
			[
				fileURLToPath(new URL('../examples/python/thread_server.py', import.meta.url)),
				'--port',
				String(port),
				'--host',
				'127.0.0.1',
			],
			{stdio: 'ignore'},
		)
	: spawn(
			process.execPath,
			[
				'-e',
				`require('net').createServer((c) => c.pipe(c)).listen(${port}, '127.0.0.1', () => console.log('up'))`,
			],
			{stdio: 'ignore'},
		);
// Up when it accepts a connection; then one connection at a time (the tutorial's listen(5) drops
// SYNs beyond its backlog, and a dropped SYN is retried only a second later).
const connect = () =>
	new Promise((resolve) => {
		const socket = net.connect({port, host: '127.0.0.1'});
		socket.once('connect', () => resolve(socket));
		socket.once('error', () => resolve(null));
	});
for (let probe = await connect(); ; probe = await connect()) {
	if (probe) {
		probe.destroy();
		break;
	}
	await new Promise((resolve) => setTimeout(resolve, 100));
}
const sockets = [];
for (let i = 0; i < count; i++) {
	const socket = await connect();
	if (socket) sockets.push(socket);
}
await new Promise((resolve) => setTimeout(resolve, 2000));

/** User + system CPU of this process and its waited-for children, in ms (USER_HZ = 100). */
function cpuMs() {
	const stat = readFileSync('/proc/self/stat', 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 10;
}

const source = new WatchSource({
	pid: server.pid,
	port: null,
	handler: 'echo',
	rate: 1,
	waitMs: 500,
	readMs: 500,
	tickMs: 1000,
});
await source.read();
const cpuBefore = cpuMs();
const started = performance.now();
for (let i = 0; i < readings; i++) await source.read();
const wallMs = (performance.now() - started) / readings;
const cpu = (cpuMs() - cpuBefore) / readings;
source.setWindow({offset: 0, limit: 20});
const seen = source.snapshot.connections.open;
const threads = (source.snapshot.os?.processes ?? []).reduce((sum, each) => sum + each.threads, 0);
console.log(
	`${count} connections (${seen} seen), ${threads} threads: ${wallMs.toFixed(1)} ms wall and ${cpu.toFixed(1)} ms CPU per refresh, over ${readings} refreshes`,
);
for (const socket of sockets) socket.destroy();
server.kill();
await source.stop();
process.exit(0);
