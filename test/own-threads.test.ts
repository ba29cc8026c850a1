import assert from 'node:assert/strict';
import {once} from 'node:events';
import net from 'node:net';
import {test} from 'node:test';
import {Controller} from '../source/live/controller.js';
import type {ThreadFigures} from '../source/metrics/snapshot.js';
import {parseOptions} from '../source/options/options.js';
import {waitFor} from './helpers/net.js';
import {fdInode, missing, ssConnections, syscallOf} from './helpers/watch.js';

// Issue 25, point 1, for our own models: the `t` view's thread states come from the same collector
// as watch's (/proc/<pid>/task/<tid>/syscall, the fd's socket inode, ss). The thread model with three
// idle clients has three worker threads blocked in `read`, each on its client's socket.

/** x86-64 `read`, written here apart from the collector's table, so a wrong entry there shows. */
const READ = 0;

const skip = missing ?? (process.arch === 'x64' ? false : 'the number here is x86-64 only');

type Task = ThreadFigures & {readonly pid: number};

const tasksOf = (controller: Controller): Task[] =>
	(controller.snapshot.os?.processes ?? []).flatMap((process) =>
		(process.tasks ?? []).map((task) => ({pid: process.pid, ...task})),
	);

for (const placement of ['in-process', 'worker'] as const) {
	test(
		`thread model, ${placement}: 3 idle clients are 3 threads in read on 3 connections, as /proc and ss say`,
		{skip},
		async () => {
			const controller = new Controller(
				parseOptions({mode: 'thread', port: '0', clients: '0', placement}),
				{tickMs: 100, rollMs: 500, procMs: 100, hostMs: 5000},
			);
			await controller.start();
			const clients: net.Socket[] = [];
			try {
				const port = controller.port;
				for (let i = 0; i < 3; i++) {
					const socket = net.connect({host: '127.0.0.1', port});
					socket.on('error', () => {});
					await once(socket, 'connect');
					clients.push(socket);
				}
				const inRead = () =>
					tasksOf(controller).filter(
						(task) => task.activity?.call === 'read' && task.connection?.id != null,
					);
				await waitFor(() => inRead().length === 3, 'three threads in read on a connection', 8000);
				const pid = controller.serverPid!;
				const ours = new Set(clients.map((client) => `127.0.0.1:${client.localPort}`));
				const sockets = ssConnections(port);
				const rows = controller.snapshot.connections.rows;
				for (const task of inRead()) {
					assert.equal(task.pid, pid);
					// The call and fd /proc shows now: the worker has not moved (its client is idle).
					const now = syscallOf(pid, task.tid);
					assert.notEqual(now, 'running');
					if (now === 'running') continue;
					assert.equal(now.number, READ, `tid ${task.tid}`);
					assert.equal(task.activity?.fd, now.fd);
					assert.equal(task.activity?.inode, fdInode(pid, now.fd));
					assert.equal(task.activity?.kind, 'recv');
					assert.equal(task.activity?.from, 'syscall');
					// That socket is the one ss lists with this inode, one of our clients, and the
					// connection row of the same id has the same peer.
					const socket = sockets.find((each) => each.inode === task.activity?.inode);
					assert.ok(socket, `no ss connection with inode ${task.activity?.inode}`);
					assert.equal(task.connection?.peer, socket.peer);
					assert.ok(ours.has(socket.peer), socket.peer);
					const row = rows.find((each) => each.id === task.connection?.id);
					assert.equal(row?.peer, socket.peer);
				}
				assert.deepEqual(
					new Set(inRead().map((task) => task.connection?.peer)),
					ours,
					'one thread on each client',
				);
				// Idle clients: the time in read grows from one reading to the next.
				const first = new Map(inRead().map((task) => [task.tid, task.activity!.forMs]));
				const at = controller.snapshot.at;
				await waitFor(() => controller.snapshot.at > at + 150, 'a later reading');
				for (const task of inRead())
					assert.ok(task.activity!.forMs > first.get(task.tid)!, `tid ${task.tid}`);
			} finally {
				for (const client of clients) client.destroy();
				await controller.stop();
			}
		},
	);
}
