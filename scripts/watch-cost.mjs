#!/usr/bin/env node
/* global process, console, setTimeout, performance */
/**
 * What one refresh of `watch` costs at N connections: starts a Node echo server, opens N idle
 * connections to it from this process, then times the watch source's reading of /proc and the
 * kernel's TCP tables (ss) R times. CPU counts this process and its reaped children (the ss runs).
 * Needs `npm run build` first.
 *
 *   node scripts/watch-cost.mjs [--connections 1000] [--readings 20]
 */
import {spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';
import net from 'node:net';
import {parseArgs} from 'node:util';
import {WatchSource} from '../dist/source/watch/watch-source.js';

const {values} = parseArgs({
	options: {
		connections: {type: 'string', default: '1000'},
		readings: {type: 'string', default: '20'},
	},
});
const count = Number(values.connections);
const readings = Number(values.readings);

const server = spawn(
	process.execPath,
	[
		'-e',
		"const s = require('net').createServer((c) => c.pipe(c)).listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port)))",
	],
	{stdio: ['ignore', 'pipe', 'inherit']},
);
const port = await new Promise((resolve) =>
	server.stdout.once('data', (data) => resolve(Number(data))),
);
const sockets = [];
for (let i = 0; i < count; i++) {
	const socket = net.connect({port, host: '127.0.0.1'});
	socket.on('error', () => {});
	sockets.push(socket);
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
console.log(
	`${count} connections (${seen} seen): ${wallMs.toFixed(1)} ms wall and ${cpu.toFixed(1)} ms CPU per refresh, over ${readings} refreshes`,
);
for (const socket of sockets) socket.destroy();
server.kill();
await source.stop();
process.exit(0);
