import assert from 'node:assert/strict';
import {execFileSync, spawn, spawnSync} from 'node:child_process';
import {once} from 'node:events';
import net from 'node:net';
import {cpus} from 'node:os';
import {test} from 'node:test';
import {parseListeners, readListeners, socketOwners} from '../source/collectors/sockets.js';
import type {JsonLine} from '../source/metrics/json-output.js';
import {waitFor} from './helpers/net.js';
import {parseExposition, valueOf} from './helpers/prometheus.js';
import {childPids, isAlive, threadCount} from './helpers/servers.js';
import {agree, CLI, EXAMPLES, missing, ssConnections, Watch} from './helpers/watch.js';

// Each tutorial server of examples/python under `watch --json` with 14 test clients: the figures
// the JSON gives are the ones the tutorial predicts, and the ones /proc and ss give at that moment.

const CLIENTS = 14;

/** Waiting for the server, as ss shows it: bytes unread, and not one byte answered yet. */
const neverAnswered = (socket: {unread: number; bytesAcked: number}) =>
	socket.unread > 0 && socket.bytesAcked === 0;

function ssListener(port: number) {
	const listeners = parseListeners(
		execFileSync('ss', ['-ltnHe', `sport = :${port}`], {encoding: 'utf8'}),
	);
	assert.equal(listeners.length, 1);
	return listeners[0]!;
}

/** Runs watch on one example with 14 clients, waits for `ready`, checks, and ends it all. */
async function watchExample(
	script: string,
	ready: (line: JsonLine) => boolean,
	check: (line: JsonLine, pid: number) => void,
	flags: readonly string[] = [],
): Promise<void> {
	const watch = new Watch([
		'--clients',
		String(CLIENTS),
		...flags,
		'--',
		'python3',
		`${EXAMPLES}${script}`,
		'--port',
		'0',
		'--host',
		'127.0.0.1',
	]);
	try {
		const line = await watch.until(ready, `${script} with ${CLIENTS} clients`);
		const pid = line.processes.pids[0]!;
		await agree(watch, (latest) => check(latest, pid), `${script}: watch, /proc and ss agree`);
		const pids = watch.latest!.processes.pids;
		await watch.stop();
		await waitFor(
			() => pids.every((each) => !isAlive(each)),
			`${script} and its children to end when watch quits`,
			5000,
		);
	} finally {
		await watch.stop();
	}
}

const served = (count: number) => (line: JsonLine) =>
	line.clients.total === CLIENTS && line.connections.active === count;

test(
	'watch: the tutorial servers, each as the tutorial says, equal to /proc and ss',
	{skip: missing ?? false, concurrency: 3},
	async (t) => {
		await Promise.all([
			t.test('sequential: one served, the others waiting in the kernel', () =>
				watchExample(
					'sequential_server.py',
					(line) => served(1)(line) && (line.queue.acceptQueue ?? 0) > 0,
					(line) => {
						const listener = ssListener(line.port);
						// listen(5): the kernel completes backlog + 1 connections, then drops SYNs.
						assert.equal(line.queue.acceptQueue, listener.backlog + 1);
						assert.equal(line.watch!.listeners[0]!.backlog, 5);
						assert.equal(line.connections.active, 1);
						assert.equal(line.threads.os, 1);
					},
				),
			),
			t.test('thread per client: the idle threads plus one per client', async () => {
				const server = spawn('python3', [`${EXAMPLES}thread_server.py`, '--port', '0'], {
					stdio: 'ignore',
				});
				try {
					const pid = server.pid!;
					await waitFor(async () => {
						const {owners} = socketOwners([pid]);
						return (await readListeners()).some((listener) => owners.has(listener.inode));
					}, 'thread_server.py to listen');
					const idle = threadCount(pid);
					const watch = new Watch(['--pid', String(pid), '--clients', String(CLIENTS)]);
					try {
						await watch.until(
							(line) => served(CLIENTS)(line) && line.threads.os === idle + CLIENTS,
							'one thread per client',
						);
						await agree(
							watch,
							(line) => {
								assert.equal(threadCount(pid), line.threads.os);
								assert.equal(ssConnections(line.port).length, line.connections.active);
								// The tutorial's thread server echoes, and echo is the default check.
								assert.equal(line.clients.wrongReplies, 0);
							},
							'thread_server.py: watch, /proc and ss agree',
						);
					} finally {
						await watch.stop();
					}
					// --pid: the server is not ours, and it runs on.
					assert.ok(isAlive(pid));
				} finally {
					server.kill('SIGKILL');
				}
			}),
			t.test('pool of 10: ten served, four waiting with unread bytes', () =>
				watchExample(
					'pool_server.py',
					(line) => served(10)(line) && line.queue.waiting === 4,
					(line, pid) => {
						const unread = ssConnections(line.port).filter(neverAnswered);
						assert.equal(unread.length, 4);
						assert.equal(line.queue.acceptQueue, 0);
						assert.equal(line.threads.os, threadCount(pid));
						assert.ok(line.queue.longestWaitMs >= 500);
						// The tutorial's pool upper-cases: with --handler upper every reply is right.
						assert.equal(line.clients.wrongReplies, 0);
					},
					['--handler', 'upper'],
				),
			),
			t.test('process per client: fourteen children, each holding its connection', () =>
				watchExample(
					'process_server.py',
					(line) => served(CLIENTS)(line) && line.processes.count === CLIENTS + 1,
					(line, pid) => {
						assert.deepEqual(line.processes.pids.slice(1), childPids(pid));
						assert.equal(ssConnections(line.port).length, CLIENTS);
					},
				),
			),
			...['asyncio_server.py', 'select_server.py'].map((script) =>
				t.test(`${script}: one thread serves all fourteen`, () =>
					watchExample(script, served(CLIENTS), (line, pid) => {
						assert.equal(line.threads.os, 1);
						assert.equal(threadCount(pid), 1);
						assert.equal(line.queue.waiting, 0);
						assert.equal(ssConnections(line.port).length, CLIENTS);
					}),
				),
			),
			t.test('hybrid: min(50, cpus + 4) served', () => {
				const workers = Math.min(50, cpus().length + 4);
				const served_ = Math.min(CLIENTS, workers);
				return watchExample(
					'hybrid_server.py',
					(line) => served(served_)(line) && line.queue.waiting === CLIENTS - served_,
					(line) => {
						const unread = ssConnections(line.port).filter(neverAnswered);
						assert.equal(unread.length, CLIENTS - served_);
					},
				);
			}),
			t.test('not Python: a Node echo server', async () => {
				const watch = new Watch([
					'--clients',
					String(CLIENTS),
					// An echo server is not an upper-casing one: its replies are counted wrong.
					'--handler',
					'upper',
					'--metrics-port',
					'0',
					'--',
					process.execPath,
					'-e',
					"require('net').createServer((s) => s.pipe(s)).listen(0, '127.0.0.1')",
				]);
				try {
					const first = await watch.until(
						(line) => served(CLIENTS)(line) && (line.clients.wrongReplies ?? 0) >= CLIENTS,
						'the Node echo server, its replies counted wrong',
					);
					const pid = first.processes.pids[0]!;
					await agree(
						watch,
						(line) => {
							assert.equal(line.processes.count, 1);
							assert.equal(line.threads.os, threadCount(pid));
							assert.equal(ssConnections(line.port).length, CLIENTS);
						},
						'node echo: watch, /proc and ss agree',
					);
					// --metrics-port: the same figures for Prometheus.
					const address = /metrics on (http:\/\/\S+)/.exec(watch.stderr)?.[1];
					assert.ok(address, watch.stderr);
					const {samples} = parseExposition(await (await fetch(address)).text());
					assert.equal(
						valueOf(samples, 'concurrency_top_connections', {model: 'watched', state: 'active'}),
						CLIENTS,
					);
				} finally {
					await watch.stop();
				}
			}),
		]);
	},
);

test(
	'watch -- COMMAND killed with SIGKILL: the command it started ends too, and a quit leaves no guard',
	{skip: missing ?? false},
	async () => {
		const server = [
			'--',
			process.execPath,
			'-e',
			"require('net').createServer((s) => s.pipe(s)).listen(0, '127.0.0.1')",
		];
		const killed = new Watch(server);
		const pid = (await killed.until((line) => line.processes.pids.length > 0, 'the server'))
			.processes.pids[0]!;
		const exited = once(killed.child, 'exit');
		killed.child.kill('SIGKILL');
		await exited;
		// Before: the server, in a process group of its own, ran on with nobody to end it.
		await waitFor(
			() => !isAlive(pid),
			`the server (pid ${pid}) to end after watch's SIGKILL`,
			5000,
		);

		const quit = new Watch(server);
		await quit.until((line) => line.processes.pids.length > 0, 'the server');
		const ours = childPids(quit.child.pid);
		assert.ok(ours.length >= 2, `the server and its guard: ${ours.join(' ')}`);
		await quit.stop();
		await waitFor(
			() => ours.every((each) => !isAlive(each)),
			'every process watch started to end',
			5000,
		);
	},
);

test(
	'watch: a mistake is one line and exit status 2',
	{skip: process.platform !== 'linux' ? 'watch needs Linux' : false},
	() => {
		for (const [args, message] of [
			[['watch'], /exactly one of --pid N, --port N or -- COMMAND/],
			[['watch', '--pid', 'x'], /--pid must be a whole number/],
			[['watch', '--port', '1', '--pid', '1'], /exactly one of/],
			[['watch', '--pid', String(2 ** 22)], /there is no process/],
			[['watch', '--bogus'], /--bogus is not a flag of watch/],
			[['watch', 'server.py'], /a command to start goes after --/],
		] as const) {
			const result = spawnSync(process.execPath, [CLI, ...args], {encoding: 'utf8'});
			assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
			assert.match(result.stderr, message);
			assert.equal(result.stderr.trim().split('\n').length, 1);
		}
	},
);

test(
	'watch -- a command that ends before listening: says so, exit 2',
	{skip: missing ?? false},
	() => {
		const result = spawnSync(
			process.execPath,
			[CLI, 'watch', '--', 'python3', '-c', 'import sys; sys.stderr.write("boom\\n"); sys.exit(3)'],
			{encoding: 'utf8'},
		);
		assert.equal(result.status, 2);
		assert.match(result.stderr, /ended \(exit 3\) before listening on a TCP port: boom/);
	},
);

const nobody =
	process.platform === 'linux' && typeof process.getuid === 'function' && process.getuid() === 0;

test(
	'watch as another user: one line says which right is missing',
	{skip: nobody ? false : 'needs root, to run watch as nobody against a root process'},
	async () => {
		// The test runner's own process: root's, so nobody may not read its fds.
		const asNobody = (args: readonly string[]) =>
			spawnSync(process.execPath, [CLI, 'watch', ...args], {
				encoding: 'utf8',
				uid: 65_534,
				gid: 65_534,
				timeout: 5000,
				killSignal: 'SIGTERM',
			});
		const byPid = asNobody(['--pid', String(process.pid), '--json']);
		assert.match(
			byPid.stderr,
			new RegExp(
				`^concurrency-top: cannot read /proc/${process.pid}/fd \\(owned by uid 0\\).*CAP_SYS_PTRACE`,
				'm',
			),
		);
		const listener = net.createServer().listen(0, '127.0.0.1');
		await once(listener, 'listening');
		try {
			const port = (listener.address() as net.AddressInfo).port;
			const result = await new Promise<{status: number | null; stderr: string}>((resolve) => {
				const child = spawn(process.execPath, [CLI, 'watch', '--port', String(port)], {
					uid: 65_534,
					gid: 65_534,
				});
				let stderr = '';
				child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
				child.on('exit', (status) => resolve({status, stderr}));
			});
			assert.equal(result.status, 2);
			assert.match(
				result.stderr,
				/^concurrency-top: the process listening on port \d+ is not one whose \/proc\/<pid>\/fd you may read.*CAP_SYS_PTRACE\)\n$/,
			);
		} finally {
			listener.close();
		}
	},
);
