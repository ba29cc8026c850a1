import assert from 'node:assert/strict';
import http from 'node:http';
import {test} from 'node:test';
import type {JsonLine} from '../source/metrics/json-output.js';
import {childPids, threadCount} from './helpers/servers.js';
import {
	NGINX,
	postgresMissing,
	psqlSession,
	startNginx,
	startPostgres,
	type RealServer,
} from './helpers/real-servers.js';
import {agree, has, missing, ssConnections, stateOf, syscallOf, Watch} from './helpers/watch.js';

// Issue 25.5: servers that are not ours, from Debian's packages, under `watch --port` with real
// clients: nginx (a master and pre-forked event-loop workers) with keep-alive HTTP clients, and
// PostgreSQL (a process per connection) with psql. Processes, threads, connections and their
// owners are checked against /proc and ss at the same moment. .ci/run installs both.

/** The live processes of the tree under `root`, as /proc says: the root, then its descendants. */
function liveTree(root: number): number[] {
	const tree = [root];
	for (let i = 0; i < tree.length; i++) tree.push(...childPids(tree[i]!));
	return tree.filter((pid) => stateOf(pid) !== 'Z');
}

/** What every watch of a real server must agree on with /proc and ss. */
function treeAgrees(line: JsonLine, root: number, port: number): void {
	assert.equal(line.pid, root);
	assert.deepEqual(line.watch!.owners, [root]);
	const tree = liveTree(root);
	assert.deepEqual(
		[...line.processes.pids].sort((a, b) => a - b),
		[...tree].sort((a, b) => a - b),
	);
	assert.equal(
		line.threads.os,
		tree.reduce((sum, pid) => sum + threadCount(pid), 0),
	);
	const connections = ssConnections(port);
	assert.equal(line.watch!.connections!.length, connections.length);
	for (const connection of line.watch!.connections!) {
		const socket = connections.find((each) => each.inode === connection.inode);
		assert.ok(socket, `connection ${connection.peer} is not in ss`);
		// One process holds it, not the root, and it is the one watch names.
		assert.deepEqual(socket.holders, [connection.owner]);
		assert.notEqual(connection.owner, root);
	}
}

/** The threads of a line with the pid of their process. */
const threadsOf = (line: JsonLine) =>
	(line.watch?.processes ?? []).flatMap((process) =>
		process.threads.map((thread) => ({pid: process.pid, ...thread})),
	);

/** x86-64 numbers of the calls a waiting event loop sits in. */
const EPOLL = new Set([232, 281, 441]);

async function keepAliveClients(port: number, count: number): Promise<http.Agent> {
	const agent = new http.Agent({keepAlive: true, maxSockets: count});
	await Promise.all(
		Array.from(
			{length: count},
			() =>
				new Promise<void>((resolve, reject) => {
					http
						.get({host: '127.0.0.1', port, path: '/', agent}, (response) => {
							response.resume();
							response.on('end', resolve);
						})
						.on('error', reject);
				}),
		),
	);
	return agent;
}

test(
	'watch --port on nginx: the master and its two workers, each keep-alive connection owned by its worker, workers in epoll_wait',
	{skip: missing ?? (NGINX === undefined ? 'nginx is not installed' : false)},
	async () => {
		let nginx: RealServer | undefined;
		let agent: http.Agent | undefined;
		let watch: Watch | undefined;
		try {
			nginx = await startNginx();
			const root = nginx.process.pid!;
			agent = await keepAliveClients(nginx.port, 3);
			watch = new Watch(['--port', String(nginx.port)]);
			await watch.until(
				(line) => line.processes.count === 3 && line.watch?.connections?.length === 3,
				'master, two workers, three connections',
			);
			await agree(
				watch,
				(line) => {
					treeAgrees(line, root, nginx!.port);
					const workers = line.processes.pids.slice(1);
					assert.equal(workers.length, 2);
					for (const thread of threadsOf(line).filter((each) => each.pid !== root)) {
						const now = syscallOf(thread.pid, thread.tid);
						if (process.arch === 'x64' && now !== 'running' && EPOLL.has(now.number)) {
							assert.equal(thread.activity?.kind, 'poll');
						}
					}
				},
				'nginx: watch, /proc and ss agree',
			);
		} finally {
			await watch?.stop();
			agent?.destroy();
			await nginx?.stop();
		}
	},
);

test(
	'watch --port on PostgreSQL: the postmaster, its helpers and a backend per psql session, each owning its connection',
	{
		skip:
			missing ?? postgresMissing ?? (has('psql', '--version') ? false : 'psql is not installed'),
	},
	async () => {
		let postgres: RealServer | undefined;
		const sessions: Awaited<ReturnType<typeof psqlSession>>[] = [];
		let watch: Watch | undefined;
		try {
			postgres = await startPostgres();
			const root = postgres.process.pid!;
			for (let i = 0; i < 3; i++) sessions.push(await psqlSession(postgres.port));
			watch = new Watch(['--port', String(postgres.port)]);
			await watch.until((line) => line.watch?.connections?.length === 3, 'three connections');
			await agree(
				watch,
				(line) => {
					treeAgrees(line, root, postgres!.port);
					// Each owner is a backend: a process of its own for its one connection.
					const owners = line.watch!.connections!.map((each) => each.owner);
					assert.equal(new Set(owners).size, 3);
				},
				'postgres: watch, /proc and ss agree',
				15_000,
			);
		} finally {
			await watch?.stop();
			for (const session of sessions) session.kill('SIGKILL');
			await postgres?.stop();
		}
	},
);
