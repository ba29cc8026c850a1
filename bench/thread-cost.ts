/**
 * What a model costs at ~100 connections: messages per second (clients ping-pong as fast as they
 * can, from a separate process), worker startup time and RSS per worker.
 *
 *   npm run build && node dist/bench/thread-cost.js [connections=100] [seconds=3] [modes=async,thread,pool]
 */
import {fork} from 'node:child_process';
import {once} from 'node:events';
import {readFileSync} from 'node:fs';
import net from 'node:net';
import type {ServerEvent} from '../source/server/protocol.js';
import {EchoServer} from '../source/server/echo-server.js';
import type {ModeName} from '../source/server/mode.js';
import {DEFAULT_SETTINGS} from '../source/server/settings.js';

const [connections = 100, seconds = 3] = process.argv.slice(2, 4).map(Number);
const modes = (process.argv[4] ?? 'async,thread,pool').split(',') as ModeName[];

if (process.argv[2] === 'clients') {
	// Client side: open the connections, then ping-pong on each for the given time.
	const port = Number(process.argv[3]);
	const count = Number(process.argv[4]);
	const ms = Number(process.argv[5]);
	let replies = 0;
	const sockets = await Promise.all(
		Array.from({length: count}, async () => {
			const socket = net.connect({host: '127.0.0.1', port});
			await once(socket, 'connect');
			socket.setNoDelay(true);
			return socket;
		}),
	);
	process.send!('connected');
	await once(process, 'message');
	const end = Date.now() + ms;
	await Promise.all(
		sockets.map(
			(socket) =>
				new Promise<void>((resolve) => {
					socket.on('data', () => {
						replies++;
						if (Date.now() < end) socket.write('ping\n');
						else resolve();
					});
					socket.write('ping\n');
				}),
		),
	);
	process.send!(replies);
	for (const socket of sockets) socket.destroy();
	process.exit(0);
}

function rssBytes(): number {
	const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
	return Number(match?.[1] ?? 0) * 1024;
}

function threads(): number {
	return Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[17]);
}

for (const mode of modes) {
	const events: ServerEvent[] = [];
	const host = new EchoServer(
		{host: '127.0.0.1', port: 0, handler: 'echo'},
		(event) => events.push(event),
		{...DEFAULT_SETTINGS, poolSize: connections},
	);
	globalThis.gc?.();
	const rssBefore = rssBytes();
	const threadsBefore = threads();
	const port = await host.start(mode);
	const clients = fork(new URL(import.meta.url), [
		'clients',
		String(port),
		String(connections),
		String(seconds * 1000),
	]);
	await once(clients, 'message');
	// Let every worker come up before measuring what it costs.
	await new Promise((resolve) => setTimeout(resolve, 1000));
	const rssOpen = rssBytes();
	const threadsOpen = threads();
	clients.send('go');
	const [replies] = (await once(clients, 'message')) as [number];
	await host.stop();
	const startups = events
		.flatMap((event) =>
			event.type === 'worker-up' && event.startupMs !== null ? [event.startupMs] : [],
		)
		.sort((a, b) => a - b);
	const workers = startups.length;
	const p50 = startups[Math.floor(workers / 2)];
	console.log(
		[
			`${mode.padEnd(8)} ${connections} conns`,
			`${Math.round(replies / seconds)} msgs/s`,
			`threads +${threadsOpen - threadsBefore}`,
			`RSS +${((rssOpen - rssBefore) / 2 ** 20).toFixed(1)} MB` +
				(workers > 0
					? ` (${((rssOpen - rssBefore) / workers / 2 ** 20).toFixed(1)} MB/worker)`
					: ''),
			workers > 0
				? `worker startup p50 ${p50!.toFixed(1)} ms, max ${startups.at(-1)!.toFixed(1)} ms`
				: '',
		].join(', '),
	);
}
