import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {readdirSync, readlinkSync} from 'node:fs';
import {test} from 'node:test';
import {acceptHandles} from '../source/server/fd-limit.js';
import {EchoServer} from '../source/server/echo-server.js';
import {ByteClient, waitFor} from './helpers/net.js';
import {childPids, startHost} from './helpers/servers.js';

test('async listens with a deep accept queue, so a connect storm is not dropped by the kernel', async (t) => {
	let ss: string;
	try {
		ss = execFileSync('ss', ['-V'], {encoding: 'utf8'});
	} catch {
		t.skip('ss is not installed');
		return;
	}
	assert.ok(ss.length > 0);
	const host = new EchoServer({host: '127.0.0.1', port: 0, handler: 'echo'}, () => {});
	try {
		const port = await host.start('async');
		// For a listener, ss shows the backlog as Send-Q; the kernel caps it at net.core.somaxconn.
		const line = execFileSync('ss', ['-Hltn', `sport = :${port}`], {encoding: 'utf8'}).trim();
		const sendQ = Number(line.split(/\s+/)[2]);
		assert.ok(sendQ > 511, line);
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
		const {host, port} = await startHost(mode);
		const inode = listenerInode(port);
		let clients: ByteClient[] = [];
		try {
			// One descriptor each, so that every turn of the event loop polls and accepts on each.
			assert.ok(acceptHandles() > 1, 'ulimit -n is high enough for several accept handles');
			assert.equal(descriptorsOn(inode), acceptHandles());
			assert.deepEqual(childPids(), [], 'the child that copied the descriptors has ended');
			// Their listen() keeps the deep backlog (the last listen on a socket sets it).
			const sendQ = Number(
				execFileSync('ss', ['-Hltn', `sport = :${port}`], {encoding: 'utf8'})
					.trim()
					.split(/\s+/)[2],
			);
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

test('cluster children listen with the deep backlog too, each through its own accept handles', async () => {
	const {host, port} = await startHost('cluster');
	try {
		const line = execFileSync('ss', ['-Hltn', `sport = :${port}`], {encoding: 'utf8'}).trim();
		assert.ok(Number(line.split(/\s+/)[2]) > 511, line);
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
