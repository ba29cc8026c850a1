import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {readdirSync, readlinkSync} from 'node:fs';
import {test} from 'node:test';
import {acceptHandles} from '../source/server/fd-limit.js';
import {STORM_BACKLOG} from '../source/server/listen.js';
import {MODE_NAMES, type ModeName} from '../source/server/mode.js';
import {MODES} from '../source/server/modes/index.js';
import {EchoServer} from '../source/server/echo-server.js';
import {ByteClient, waitFor} from './helpers/net.js';
import {childPids, startHost} from './helpers/servers.js';

/** The backlog the kernel holds for the listener on `port`: ss shows it as a listener's Send-Q. */
function kernelBacklog(port: number): number {
	const line = execFileSync('ss', ['-Hltn', `sport = :${port}`], {encoding: 'utf8'}).trim();
	assert.ok(line, `no listener on ${port}`);
	return Number(line.split(/\s+/)[2]);
}

const TUTORIAL_BACKLOG: Record<ModeName, number> = {
	sequential: 5,
	async: 100,
	thread: 5,
	pool: 5,
	process: 5,
	reactor: 5,
	hybrid: 10,
	cluster: 511,
};

test("every model listens with its tutorial server's backlog, and --backlog replaces it (read back with ss)", async (t) => {
	try {
		execFileSync('ss', ['-V'], {encoding: 'utf8'});
	} catch {
		t.skip('ss is not installed');
		return;
	}
	for (const mode of MODE_NAMES) {
		assert.equal(MODES[mode].backlog, TUTORIAL_BACKLOG[mode], `${mode}'s registry entry`);
		for (const backlog of [null, 7]) {
			const {host, port} = await startHost(mode, 'echo', {}, backlog);
			try {
				assert.equal(kernelBacklog(port), backlog ?? TUTORIAL_BACKLOG[mode], `${mode} ${backlog}`);
			} finally {
				await host.stop();
			}
		}
	}
});

test('--backlog 4096 gives async the deep accept queue a connect storm needs', async () => {
	const host = new EchoServer(
		{host: '127.0.0.1', port: 0, handler: 'echo', backlog: 4096},
		() => {},
	);
	try {
		const port = await host.start('async');
		await host.accepting();
		// The kernel caps it at net.core.somaxconn (4096 on current kernels).
		assert.ok(kernelBacklog(port) > 511);
	} finally {
		await host.stop();
	}
});

/** The inode of the socket listening on `port`, from `ss -ltne`. */
function listenerInode(port: number): string {
	const line = execFileSync('ss', ['-Hltne', `sport = :${port}`], {encoding: 'utf8'});
	const inode = /ino:(\d+)/.exec(line)?.[1];
	assert.ok(inode, `no listener on ${port}: ${line}`);
	return inode;
}

/** Descriptors of process `pid` on the socket with `inode`. */
function descriptorsOn(inode: string, pid: number | 'self' = 'self'): number {
	return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
		try {
			return readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`;
		} catch {
			return false;
		}
	}).length;
}

for (const mode of ['async', 'reactor'] as const) {
	test(`${mode} accepts a storm through acceptHandles() handles on one listening socket, and closes every one`, async () => {
		// The storm is the point: the deep backlog it needs (the model's own 5 or 100 would drop SYNs).
		const {host, port} = await startHost(mode, 'echo', {}, STORM_BACKLOG);
		const inode = listenerInode(port);
		let clients: ByteClient[] = [];
		try {
			// One descriptor each, so that every turn of the event loop polls and accepts on each.
			assert.ok(acceptHandles() > 1, 'ulimit -n is high enough for several accept handles');
			assert.equal(descriptorsOn(inode), acceptHandles());
			assert.deepEqual(childPids(), [], 'the child that copied the descriptors has ended');
			// Their listen() keeps the deep backlog (the last listen on a socket sets it).
			const sendQ = kernelBacklog(port);
			assert.ok(sendQ > 511, `backlog ${sendQ}`);
			clients = await Promise.all(Array.from({length: 200}, () => ByteClient.connect(port)));
			const replies = await Promise.all(clients.map((client, i) => client.ask(`storm ${i}\n`)));
			replies.forEach((reply, i) => assert.equal(reply.toString(), `storm ${i}\n`));
		} finally {
			await Promise.all(clients.map((client) => client.close()));
			await host.stop();
		}
		assert.equal(descriptorsOn(inode), 0, 'every accept handle closed its own descriptor');
		assert.equal(execFileSync('ss', ['-Hltn', `sport = :${port}`], {encoding: 'utf8'}).trim(), '');
	});
}

test('async stopped while its accept handles are still being copied leaves no process and no descriptor behind', async () => {
	const host = new EchoServer({host: '127.0.0.1', port: 0, handler: 'echo'}, () => {});
	const port = await host.start('async');
	const inode = listenerInode(port);
	await host.stop();
	await waitFor(() => childPids().length === 0, 'the copying child to end');
	await waitFor(
		() => descriptorsOn(inode) === 0,
		() => `descriptors left on the listener: ${descriptorsOn(inode)}`,
	);
	// The port is free again at once: nothing holds the listening socket.
	const again = new EchoServer({host: '127.0.0.1', port, handler: 'echo'}, () => {});
	try {
		assert.equal(await again.start('async'), port);
	} finally {
		await again.stop();
	}
});

test('cluster children sharing the socket listen with --backlog 4096 too, each through its own accept handles', async () => {
	// --cluster-accept shared: the children listen themselves (round-robin's dealer is the parent).
	const host = new EchoServer(
		{host: '127.0.0.1', port: 0, handler: 'echo', backlog: STORM_BACKLOG, clusterAccept: 'shared'},
		() => {},
	);
	const port = await host.start('cluster');
	try {
		await host.accepting();
		assert.ok(kernelBacklog(port) > 511);
		const inode = listenerInode(port);
		const children = childPids();
		assert.equal(children.length, 2, 'one child a core here');
		for (const pid of children)
			assert.equal(descriptorsOn(inode, pid), acceptHandles(), `pid ${pid}`);
		// The parent holds the one Node's cluster bound (SCHED_NONE), and none of the copies it sent.
		assert.equal(descriptorsOn(inode), 1, 'the parent keeps no copy');
		const clients = await Promise.all(Array.from({length: 50}, () => ByteClient.connect(port)));
		const replies = await Promise.all(clients.map((client, i) => client.ask(`c${i}\n`)));
		replies.forEach((reply, i) => assert.equal(reply.toString(), `c${i}\n`));
		await Promise.all(clients.map((client) => client.close()));
	} finally {
		await host.stop();
	}
});
