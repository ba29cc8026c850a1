import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {test} from 'node:test';
import {MODE_NAMES} from '../source/server/mode.js';
import {SPARE_CHILDREN} from '../source/server/modes/process.js';
import {startSs} from '../source/collectors/ss.js';
import {
	childPids,
	fdCount,
	fdTargets,
	isAlive,
	LineClient,
	startHost,
	threadCount,
} from './helpers/servers.js';
import {ByteClient, sleep, waitFor} from './helpers/net.js';

const N = 6;

async function connectAll(port: number, count: number): Promise<LineClient[]> {
	const clients: LineClient[] = [];
	// One after another, so the server sees them in this order.
	for (let i = 0; i < count; i++) {
		const client = await LineClient.connect(port);
		clients.push(client);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
	return clients;
}

test('thread: OS threads rise by at least one per client and return to idle after they leave', async () => {
	const {host, port} = await startHost('thread');
	try {
		const idle = threadCount();
		const clients = await connectAll(port, N);
		await Promise.all(
			clients.map(async (client, index) =>
				assert.equal(await client.ask(`t${index}`), `t${index}`),
			),
		);
		await waitFor(
			() => threadCount() >= idle + N,
			() => `threads ${threadCount()}, want at least ${idle + N}`,
		);
		await Promise.all(clients.map((client) => client.close()));
		await waitFor(
			() => threadCount() <= idle,
			() => `threads ${threadCount()}, want back to ${idle}`,
		);
	} finally {
		await host.stop();
	}
});

test('pool of K with K+3 clients: K served, 3 queued, served in order as others leave', async () => {
	const K = 3;
	const {host, port, events} = await startHost('pool', 'echo', {poolSize: K});
	try {
		const clients = await connectAll(port, K + 3);
		for (const client of clients) client.send('hi');
		for (const client of clients.slice(0, K)) assert.equal(await client.next(), 'hi');
		for (const client of clients.slice(K)) assert.equal(await client.hasReplyWithin(300), false);
		const queued = events.filter((event) => event.type === 'conn-open' && event.state === 'queued');
		assert.equal(queued.length, 3);
		// As each served client leaves, the longest-waiting one gets its reply, and only that one.
		for (let i = 0; i < 3; i++) {
			await clients[i]!.close();
			assert.equal(await clients[K + i]!.next(), 'hi');
			for (const later of clients.slice(K + i + 1))
				assert.equal(await later.hasReplyWithin(150), false);
		}
		await Promise.all(clients.map((client) => client.close()));
	} finally {
		await host.stop();
	}
});

test('process: N clients give N child processes of their own beside the spares; SIGKILL of one closes only its client; stop ends them all', async () => {
	const before = childPids();
	const children = () => childPids().filter((pid) => !before.includes(pid));
	const {host, port, events} = await startHost('process', 'upper');
	try {
		// startHost waited for the spares: children already, serving no one.
		assert.equal(children().length, SPARE_CHILDREN, 'the spares are real processes');
		const clients = await connectAll(port, 4);
		await Promise.all(clients.map(async (client) => assert.equal(await client.ask('x'), 'X')));
		const served = events.flatMap((event) =>
			event.type === 'conn-open' && event.by.kind === 'process' ? [event.by.pid] : [],
		);
		assert.equal(new Set(served).size, 4, `a child each: ${served.join(',')}`);
		// Each client took a spare, and a new spare started behind it.
		await waitFor(
			() =>
				children().length === 4 + SPARE_CHILDREN && served.every((pid) => children().includes(pid)),
			() => `children ${children().join(',')}, serving ${served.join(',')}`,
			30_000,
		);
		const victimPid = served[0]!;
		process.kill(victimPid, 'SIGKILL');
		await clients[0]!.closed;
		for (const client of clients.slice(1)) assert.equal(await client.ask('still'), 'STILL');
		// The client may see its connection close before the parent hears of the child's exit.
		await waitFor(
			() =>
				events.some(
					(event) =>
						event.type === 'worker-down' &&
						event.worker.kind === 'process' &&
						event.worker.pid === victimPid &&
						event.reason === 'SIGKILL' &&
						!event.expected,
				),
			() => 'no worker-down event for the killed child',
		);
		await Promise.all(clients.map((client) => client.close()));
		// Each serving child ended with its client; the spares stay.
		await waitFor(
			() => served.every((pid) => !isAlive(pid)) && children().length === SPARE_CHILDREN,
			() => `children left ${children().join(',')}, serving ${served.filter(isAlive).join(',')}`,
		);
	} finally {
		await host.stop();
	}
	await waitFor(
		() => children().length === 0,
		() => `spares left after stop: ${children().join(',')}`,
	);
});

test("sequential: waiting clients wait in the kernel's accept queue and are answered only when the one before leaves", async () => {
	const {host, port, events} = await startHost('sequential');
	try {
		const clients = await connectAll(port, 3);
		for (const client of clients) client.send('s');
		assert.equal(await clients[0]!.next(), 's');
		assert.equal(await clients[1]!.hasReplyWithin(300), false);
		assert.equal(await clients[2]!.hasReplyWithin(50), false);
		// Not accepted at all: the server knows one connection, the kernel queues the other two.
		assert.equal(events.filter((event) => event.type === 'conn-open').length, 1);
		const listener = execFileSync('ss', ['-Hltn', `sport = :${port}`], {encoding: 'utf8'});
		assert.equal(Number(listener.trim().split(/\s+/)[1]), 2, listener);
		await clients[0]!.close();
		assert.equal(await clients[1]!.next(), 's');
		assert.equal(await clients[2]!.hasReplyWithin(200), false);
		await clients[1]!.close();
		assert.equal(await clients[2]!.next(), 's');
		await clients[2]!.close();
	} finally {
		await host.stop();
	}
});

test('switching through all eight models twice with clients connected leaves nothing behind', async () => {
	// The shell that runs every `ss` lives as long as this process, with three fds: started first, so
	// the count before holds it when this test runs alone.
	startSs();
	const threadsBefore = threadCount();
	const childrenBefore = childPids();
	const fdsBefore = fdCount();
	const fdsListBefore = fdTargets();
	const {host, port} = await startHost('async', 'echo', {poolSize: 2});
	const clients: LineClient[] = [];
	try {
		for (let round = 0; round < 2; round++) {
			for (const mode of MODE_NAMES) {
				assert.equal(await host.start(mode), port);
				const batch = await Promise.all([1, 2, 3].map(() => LineClient.connect(port)));
				clients.push(...batch);
				if (mode !== 'sequential') assert.equal(await batch[0]!.ask('sw'), 'sw');
			}
		}
		// Every client of a stopped mode was disconnected by the switch: waited for with a bound,
		// since a client held open by no one (cluster's dealing once lost one so) would wait for ever.
		const old = clients.slice(0, -3);
		await waitFor(
			() => old.every((client) => client.isClosed),
			() =>
				`clients of stopped models still open: ${old
					.filter((client) => !client.isClosed)
					.map((client) => `local port ${client.socket.localPort}`)
					.join(', ')}`,
		);
	} finally {
		await host.stop();
	}
	await Promise.all(clients.map((client) => client.close()));
	await waitFor(
		() => childPids().filter((pid) => !childrenBefore.includes(pid)).length === 0,
		() => `children left: ${childPids().join(',')}`,
	);
	await waitFor(
		() => threadCount() <= threadsBefore,
		() => `threads ${threadCount()}, before ${threadsBefore}`,
	);
	await waitFor(
		() => fdCount() <= fdsBefore,
		() => `fds ${fdTargets()}, before ${fdsListBefore}`,
	);
	for (const pid of childrenBefore) assert.ok(isAlive(pid));
});

test('pool: growing serves the queue at once; shrinking ends idle threads', async () => {
	const {host, port, events} = await startHost('pool', 'echo', {poolSize: 1});
	try {
		const idle = threadCount();
		const clients = await connectAll(port, 3);
		for (const client of clients) client.send('g');
		assert.equal(await clients[0]!.next(), 'g');
		assert.equal(await clients[1]!.hasReplyWithin(200), false);
		host.configure({poolSize: 3});
		assert.equal(await clients[1]!.next(), 'g');
		assert.equal(await clients[2]!.next(), 'g');
		await waitFor(
			() => threadCount() >= idle + 2,
			() => `threads ${threadCount()}`,
		);
		await Promise.all(clients.map((client) => client.close()));
		host.configure({poolSize: 1});
		await waitFor(
			() => threadCount() <= idle,
			() => `threads ${threadCount()}, want ${idle}`,
		);
		assert.equal(events.filter((event) => event.type === 'worker-down').length, 2);
	} finally {
		await host.stop();
	}
});

test("pool: a thread that moves on to the next connection sends it none of the last one's replies", async () => {
	// 2 ms of work a message, and lines sent one by one as chunks of their own, keep the thread busy
	// with the first client's chunks after it left: replies to it are still on their way to the
	// main thread when the second client takes over.
	const {host, port} = await startHost('pool', 'echo', {poolSize: 1, workMs: 2});
	try {
		const first = await ByteClient.connect(port);
		const second = await ByteClient.connect(port);
		first.socket.setNoDelay(true);
		for (let i = 0; i < 100; i++) {
			first.socket.write('first\n');
			await sleep(1);
		}
		first.socket.destroy();
		assert.equal((await second.ask('second\n', 10_000)).toString(), 'second\n');
		await sleep(300);
		assert.equal(second.received.toString(), 'second\n');
	} finally {
		await host.stop();
	}
});

test('reactor: replies to a client that does not read pile up in its output queue', async () => {
	const {host, port, events} = await startHost('reactor');
	try {
		const client = await LineClient.connect(port);
		client.socket.pause();
		const line = `${'x'.repeat(1023)}\n`;
		for (let i = 0; i < 8192; i++) client.socket.write(line);
		await waitFor(
			() =>
				events.some(
					(event) => event.type === 'output-queues' && event.bytes > 0 && event.top.length === 1,
				),
			() => 'no output queue reported',
		);
		await client.close();
		await waitFor(
			() =>
				events.findLast((event) => event.type === 'output-queues')?.type === 'output-queues' &&
				(events.findLast((event) => event.type === 'output-queues') as {bytes: number}).bytes === 0,
			() => 'queue not emptied after close',
		);
	} finally {
		await host.stop();
	}
});

test('pool: a crashed thread loses only its connection; a replacement serves the queue', async () => {
	const {host, port, events} = await startHost('pool', 'upper', {poolSize: 2});
	try {
		const clients = await connectAll(port, 3);
		for (const client of clients) client.send('c');
		assert.equal(await clients[0]!.next(), 'C');
		assert.equal(await clients[1]!.next(), 'C');
		assert.equal(await clients[2]!.hasReplyWithin(200), false);
		host.crashWorker();
		await clients[0]!.closed;
		assert.equal(await clients[2]!.next(), 'C');
		assert.equal(await clients[1]!.ask('still'), 'STILL');
		const down = events.filter((event) => event.type === 'worker-down');
		assert.equal(down.length, 1);
		assert.ok(
			down[0]!.type === 'worker-down' &&
				!down[0]!.expected &&
				/crashed on request/.test(down[0]!.reason),
		);
		assert.equal(events.filter((event) => event.type === 'worker-up').length, 3);
		await Promise.all(clients.map((client) => client.close()));
	} finally {
		await host.stop();
	}
});
