import assert from 'node:assert/strict';
import {execFileSync, spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {once} from 'node:events';
import net from 'node:net';
import {test} from 'node:test';
import {parseListeners} from '../source/collectors/sockets.js';
import type {JsonLine} from '../source/metrics/json-output.js';
import {waitFor} from './helpers/net.js';
import {threadCount} from './helpers/servers.js';
import {
	agree,
	CLI,
	EXAMPLES,
	fdInode,
	missing,
	ssConnections,
	stateOf,
	syscallOf,
	Watch,
} from './helpers/watch.js';

// Issue 25: what each thread of a watched server waits in and for whom, from /proc and ss; the
// whole tree of a pre-forked or process-per-client server; zombies apart; rates over the time
// between readings; wrong replies that say what they look like. Issue 24.7: several owners of a
// port, and a watched process that ends or is a zombie.

/** x86-64 numbers, written here apart from the collector's table, so a wrong entry there shows. */
const X86_64: Readonly<Record<number, string>> = {43: 'accept', 288: 'accept4', 45: 'recvfrom'};

const skipThreads = missing ?? (process.arch === 'x64' ? false : 'the table here is x86-64 only');

/** Starts a tutorial server on a free port of 127.0.0.1; resolves once it listens, with the port. */
async function startExample(script: string): Promise<{server: ChildProcess; port: number}> {
	const server = spawn('python3', [`${EXAMPLES}${script}`, '--port', '0', '--host', '127.0.0.1'], {
		stdio: 'ignore',
	});
	const port = await waitFor(() => listeningPort(server.pid!), `${script} to listen`);
	return {server, port};
}

/** The TCP port `pid` listens on, from ss and its /proc/<pid>/fd; undefined while it does not. */
function listeningPort(pid: number): number | undefined {
	const listeners = parseListeners(execFileSync('ss', ['-ltnHe'], {encoding: 'utf8'}));
	for (const listener of listeners) {
		for (let fd = 0; fd < 16; fd++) if (fdInode(pid, fd) === listener.inode) return listener.port;
	}
	return undefined;
}

/** `count` idle connections: they send nothing, so each server thread stays in recv. */
async function idleClients(port: number, count: number): Promise<net.Socket[]> {
	return Promise.all(
		Array.from({length: count}, async () => {
			const socket = net.connect({host: '127.0.0.1', port});
			await once(socket, 'connect');
			socket.on('error', () => {});
			return socket;
		}),
	);
}

const threadsOf = (line: JsonLine) =>
	(line.watch?.processes ?? []).flatMap((process) =>
		process.threads.map((thread) => ({pid: process.pid, ...thread})),
	);

test(
	'watch --pid on the threaded server with 3 clients: each thread, its call, fd and connection, as /proc and ss say',
	{skip: skipThreads},
	async () => {
		const {server, port} = await startExample('thread_server.py');
		const clients = await idleClients(port, 3);
		const pid = server.pid!;
		const watch = new Watch(['--pid', String(pid)]);
		try {
			await watch.until(
				(line) => threadsOf(line).filter((thread) => thread.activity?.kind === 'recv').length === 3,
				'three threads in recv',
			);
			await agree(
				watch,
				(line) => {
					const threads = threadsOf(line);
					assert.equal(threads.length, threadCount(pid));
					const connections = ssConnections(port);
					assert.equal(connections.length, 3);
					for (const thread of threads) {
						const now = syscallOf(pid, thread.tid);
						assert.notEqual(now, 'running');
						if (now === 'running') continue;
						// The call and the fd /proc shows at this moment, and the socket that fd is.
						assert.equal(thread.activity?.call, X86_64[now.number], `tid ${thread.tid}`);
						assert.equal(thread.activity?.fd, now.fd);
						assert.equal(thread.activity?.inode, fdInode(pid, now.fd));
						assert.equal(thread.activity?.from, 'syscall');
					}
					const [main, ...workers] = threads;
					assert.equal(main!.activity?.kind, 'accept');
					assert.equal(main!.connection?.peer, `listener 127.0.0.1:${port}`);
					assert.deepEqual(
						workers.map((thread) => thread.activity?.kind),
						['recv', 'recv', 'recv'],
					);
					// Each worker's connection is the one ss lists with that inode, and one of our clients.
					const ours = new Set(clients.map((client) => `127.0.0.1:${client.localPort}`));
					for (const thread of workers) {
						const socket = connections.find((each) => each.inode === thread.activity?.inode);
						assert.ok(socket, `no ss connection with inode ${thread.activity?.inode}`);
						assert.equal(thread.connection?.peer, socket.peer);
						assert.ok(ours.has(socket.peer));
						assert.equal(typeof thread.connection?.id, 'number');
					}
					// The connection list: every socket ss has, held by the server's process.
					assert.deepEqual(
						(line.watch?.connections ?? []).map((each) => [each.inode, each.owner]).sort(),
						connections.map((each) => [each.inode, pid]).sort(),
					);
				},
				'thread states: watch, /proc and ss agree',
			);
			// Idle clients: each worker stays in recv, and how long it has been there grows.
			const first = watch.latest!;
			const later = await watch.until((line) => line.at > first.at, 'a later line');
			for (const thread of threadsOf(first).slice(1)) {
				const again = threadsOf(later).find((each) => each.tid === thread.tid);
				assert.ok(again!.activity!.forMs > thread.activity!.forMs, JSON.stringify(again));
			}
		} finally {
			await watch.stop();
			for (const client of clients) client.destroy();
			server.kill('SIGKILL');
		}
	},
);

test(
	'watch --port on the process server: the root and every child, each connection owned by the child that holds it, zombies apart',
	{skip: missing ?? false},
	async () => {
		const {server, port} = await startExample('process_server.py');
		const root = server.pid!;
		const clients = await idleClients(port, 3);
		const watch = new Watch(['--port', String(port)]);
		try {
			const ready = await watch.until(
				(line) => line.processes.count === 4 && (line.watch?.connections ?? []).length === 3,
				'the server and three children',
			);
			// Before: the highest pid holding the listener won, one child: 1 process.
			assert.equal(ready.pid, root);
			assert.equal(ready.processes.pids[0], root);
			await agree(
				watch,
				(line) => {
					const connections = ssConnections(port);
					assert.equal(connections.length, 3);
					for (const connection of line.watch!.connections!) {
						const socket = connections.find((each) => each.inode === connection.inode);
						assert.ok(socket);
						// The child alone holds it (the parent closed its copy), and it is the owner.
						assert.deepEqual(socket.holders, [connection.owner]);
						assert.notEqual(connection.owner, root);
						assert.ok(line.processes.pids.includes(connection.owner!));
					}
				},
				'owners: watch and ss agree',
			);
			// Two clients leave: their children end, and the server reaps them only at its next start.
			clients[0]!.destroy();
			clients[1]!.destroy();
			await agree(
				watch,
				(line) => {
					const zombies = line.watch!.zombies;
					assert.equal(zombies.length, 2);
					for (const zombie of zombies) {
						assert.equal(stateOf(zombie.pid), 'Z');
						assert.equal(zombie.ppid, root);
						assert.ok(!line.processes.pids.includes(zombie.pid));
					}
					assert.equal(line.processes.count, 2);
					const live = line.processes.pids.reduce((sum, each) => sum + threadCount(each), 0);
					assert.equal(line.threads.os, live);
				},
				'two zombies, labelled and not counted',
			);
		} finally {
			await watch.stop();
			for (const client of clients) client.destroy();
			server.kill('SIGKILL');
		}
	},
);

/** A server that holds every connection it accepts, on a port shared with SO_REUSEPORT. */
const REUSEPORT = `
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(64)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])
`;

test(
	'watch --port with two owners (SO_REUSEPORT): both are watched, each connection with its own owner',
	{skip: missing ?? false},
	async () => {
		const first = spawn('python3', ['-c', REUSEPORT, '0'], {stdio: ['ignore', 'pipe', 'ignore']});
		const [chunk] = (await once(first.stdout!, 'data')) as [Buffer];
		const port = Number(chunk.toString().trim());
		const second = spawn('python3', ['-c', REUSEPORT, String(port)], {
			stdio: ['ignore', 'pipe', 'ignore'],
		});
		await once(second.stdout!, 'data');
		const clients = await idleClients(port, 10);
		const watch = new Watch(['--port', String(port)]);
		try {
			const owners = [first.pid!, second.pid!].sort((a, b) => a - b);
			await watch.until((line) => (line.watch?.connections ?? []).length === 10, 'ten connections');
			await agree(
				watch,
				(line) => {
					assert.deepEqual(line.watch!.owners, owners);
					assert.deepEqual(
						[...line.processes.pids].sort((a, b) => a - b),
						owners,
					);
					const connections = ssConnections(port);
					for (const connection of line.watch!.connections!) {
						const socket = connections.find((each) => each.inode === connection.inode);
						assert.deepEqual(socket?.holders, [connection.owner]);
					}
				},
				'both owners, and each connection its own',
			);
		} finally {
			await watch.stop();
			for (const client of clients) client.destroy();
			first.kill('SIGKILL');
			second.kill('SIGKILL');
		}
	},
);

/** A parent that forks a child and never reaps it: the child's pid on stdout. */
const UNREAPED = `
import os, sys, time
pid = os.fork()
if pid == 0:
    time.sleep(float(sys.argv[1]))
    os._exit(0)
print(pid, flush=True)
time.sleep(600)
`;

async function unreaped(seconds: number): Promise<{parent: ChildProcess; child: number}> {
	const parent = spawn('python3', ['-c', UNREAPED, String(seconds)], {
		stdio: ['ignore', 'pipe', 'ignore'],
	});
	const [chunk] = (await once(parent.stdout!, 'data')) as [Buffer];
	return {parent, child: Number(chunk.toString().trim())};
}

test(
	'watch --pid of a zombie says it has ended and exits 2, unless --stay; one that ends while watched: says so, exits 0',
	{skip: missing ?? false},
	async () => {
		const {parent, child} = await unreaped(0);
		try {
			await waitFor(() => stateOf(child) === 'Z', 'the child to be a zombie');
			const result = spawnSync(process.execPath, [CLI, 'watch', '--pid', String(child)], {
				encoding: 'utf8',
				timeout: 10_000,
			});
			assert.equal(result.status, 2, result.stderr);
			assert.match(
				result.stderr,
				new RegExp(
					`process ${child} has ended: it is a zombie that its parent ${parent.pid} has not reaped`,
				),
			);
			const staying = new Watch(['--pid', String(child), '--stay']);
			try {
				const line = await staying.until((each) => each.watch?.ended != null, 'the ended line');
				assert.match(line.watch!.ended!, /zombie/);
				assert.equal(line.processes.count, 0);
				// It stays: more lines come after the one that says so.
				await staying.until((each) => each.at > line.at, 'a line after the end');
				assert.equal(staying.child.exitCode, null);
			} finally {
				await staying.stop();
			}
		} finally {
			parent.kill('SIGKILL');
		}

		// Alive when watch starts; a zombie a moment later. Before: watched for ever.
		const later = await unreaped(600);
		try {
			const watch = new Watch(['--pid', String(later.child)]);
			await watch.until((line) => line.processes.count === 1, 'the child, live');
			const exited = once(watch.child, 'exit');
			process.kill(later.child, 'SIGKILL');
			const [code] = (await exited) as [number];
			assert.equal(code, 0);
			assert.match(
				watch.stderr,
				new RegExp(`the watched process ${later.child} has ended: it is a zombie`),
			);
		} finally {
			later.parent.kill('SIGKILL');
		}
	},
);

test(
	'watch: byte rates are the kernel counters over the time between the two readings they span',
	{skip: missing ?? false},
	async () => {
		const server = spawn(
			process.execPath,
			[
				'-e',
				"const s = require('net').createServer((c) => c.resume()).listen(0, '127.0.0.1', () => console.log(s.address().port))",
			],
			{stdio: ['ignore', 'pipe', 'ignore']},
		);
		const [chunk] = (await once(server.stdout!, 'data')) as [Buffer];
		const port = Number(chunk.toString().trim());
		const [client] = await idleClients(port, 1);
		const watch = new Watch(['--pid', String(server.pid), '--interval', '0.5']);
		try {
			await watch.until((line) => line.connections.active === 1, 'the connection');
			const from = watch.lines.length;
			// Bursts at moments that keep no step with the readings or the frames.
			for (const pause of [130, 410, 270, 620, 90]) {
				client!.write(Buffer.alloc(1000, 97));
				await new Promise((resolve) => setTimeout(resolve, pause));
			}
			const sent = 5000;
			await watch.until((line) => line.traffic.bytesInTotal >= sent, 'every byte counted');
			// Two more readings after the last byte, so the last window holds it.
			const last = watch.latest!.watch!.rateWindow!.to;
			await watch.until((line) => (line.watch?.rateWindow?.from ?? 0) > last, 'a window after it');
			let sum = 0;
			let previous: {from: number; to: number} | null = null;
			for (const line of watch.lines.slice(from)) {
				const window = line.watch?.rateWindow;
				if (!window || window.to === previous?.to) continue;
				if (previous) assert.equal(window.from, previous.to, 'windows follow one another');
				sum += (line.traffic.bytesInPerSec * (window.to - window.from)) / 1000;
				previous = window;
			}
			assert.ok(Math.abs(sum - sent) < 1, `rates × windows: ${sum} bytes, sent ${sent}`);
		} finally {
			await watch.stop();
			client!.destroy();
			server.kill('SIGKILL');
		}
	},
);

test(
	'watch: replies that are not echoes say what they look like and which flag fits',
	{skip: missing ?? false},
	async () => {
		const watch = new Watch([
			'--clients',
			'2',
			'--',
			process.execPath,
			'-e',
			"require('net').createServer((s) => s.on('data', (d) => s.write(d.toString().toUpperCase()))).listen(0, '127.0.0.1')",
		]);
		try {
			const line = await watch.until(
				(each) => (each.clients.wrongReplies ?? 0) > 0 && each.clients.replyHint !== undefined,
				'wrong replies with a hint',
			);
			assert.equal(line.clients.replyHint, 'replies are upper-cased: try --handler upper');
		} finally {
			await watch.stop();
		}
	},
);

const root = process.platform === 'linux' && process.getuid?.() === 0;

test(
	"watch as another user: the threads' system calls may not be read, and the line says so; states fall back to wchan and stat",
	{skip: missing ?? (root ? false : 'needs root, to run watch as nobody against a root process')},
	async () => {
		const {server} = await startExample('thread_server.py');
		try {
			const result = spawnSync(
				process.execPath,
				[CLI, 'watch', '--pid', String(server.pid), '--json', '--interval', '0.5'],
				{encoding: 'utf8', uid: 65_534, gid: 65_534, timeout: 8000, killSignal: 'SIGTERM'},
			);
			const lines = result.stdout.trim().split('\n');
			const line = JSON.parse(lines.at(-1)!) as JsonLine;
			assert.match(
				line.watch!.syscallRefused ?? '',
				new RegExp(`^(EACCES|EPERM) on /proc/${server.pid}/task/\\d+/syscall$`),
			);
			for (const thread of threadsOf(line)) {
				assert.ok(thread.activity?.from === 'wchan' || thread.activity?.from === 'stat');
				assert.equal(thread.activity?.fd, null);
			}
		} finally {
			server.kill('SIGKILL');
		}
	},
);
