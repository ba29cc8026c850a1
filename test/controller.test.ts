import assert from 'node:assert/strict';
import net from 'node:net';
import {test} from 'node:test';
import {processTotals} from '../source/collectors/figures.js';
import {Controller} from '../source/live/controller.js';
import type {Snapshot} from '../source/metrics/snapshot.js';
import {parseOptions} from '../source/options/options.js';
import {waitFor} from './helpers/net.js';

test('switching models with test clients connected ends with every client served again', async () => {
	const controller = new Controller(
		parseOptions({mode: 'sequential', port: '0', clients: '4', rate: '20'}),
		{tickMs: 100, rollMs: 500, procMs: 500, hostMs: 5000},
	);
	await controller.start();
	try {
		// Sequential accepts no one while it serves: the other three wait in the kernel's accept queue.
		await waitFor(
			() =>
				controller.snapshot.connections.active === 1 &&
				controller.snapshot.queue.acceptQueue === 3 &&
				controller.snapshot.clients.waiting === 3,
			'1 served, 3 in the kernel accept queue',
		);
		const port = controller.port;
		await controller.dispatch({type: 'next-mode'});
		assert.equal(controller.snapshot.server.mode, 'async');
		assert.equal(controller.port, port, 'the server comes back on the same port');
		await waitFor(
			() => {
				const {connections, clients} = controller.snapshot;
				return (
					connections.active === 4 &&
					connections.queued === 0 &&
					clients.connected === 4 &&
					clients.waiting === 0
				);
			},
			'all four clients reconnected and answered',
			8000,
		);
		const rows = controller.snapshot.connections.rows;
		assert.ok(
			rows.every((row) => row.lastRttMs !== null),
			'every row has a measured round trip',
		);
	} finally {
		await controller.stop();
	}
});

for (const mode of ['thread', 'process'] as const) {
	test(`stopping while a switch to ${mode} is starting leaves no server listening`, async () => {
		const controller = new Controller(parseOptions({mode: 'async', port: '0', clients: '0'}), {
			tickMs: 100,
			rollMs: 500,
			procMs: 500,
			hostMs: 5000,
		});
		await controller.start();
		const port = controller.port;
		// Stop comes as the switch begins: the old model stopping, the new one about to start.
		const begun = new Promise<void>((resolve) =>
			controller.onEvent((line) => {
				if (line.text.includes(`→ ${mode}`)) resolve();
			}),
		);
		const switched = controller.dispatch({type: 'set-mode', mode});
		await begun;
		await controller.stop();
		await switched;
		const refused = await new Promise<boolean>((resolve) => {
			const socket = net.connect(port, '127.0.0.1');
			socket.once('connect', () => {
				socket.destroy();
				resolve(false);
			});
			socket.once('error', () => resolve(true));
		});
		assert.ok(refused, `a ${mode} server still listens on ${port} after stop`);
	});
}

test('a window the screen already shows is not published again; refresh reads the machine and CPU shares', async () => {
	// No tick in the test's time: every publish and reading is one the test asked for.
	const still = {tickMs: 60_000, rollMs: 60_000, procMs: 60_000, hostMs: 60_000};
	const controller = new Controller(parseOptions({mode: 'async', port: '0', clients: '0'}), still);
	await controller.start();
	try {
		let published = 0;
		controller.subscribe(() => published++);
		controller.setWindow({offset: 0, limit: 5, sort: 'id', filter: ''});
		controller.setWindow({offset: 0, limit: 5, sort: 'id', filter: ''});
		assert.equal(published, 1, 'the same rows asked for twice are published once');
		assert.equal(controller.snapshot.host, null, 'no machine figures before a span to measure');
		const until = Date.now() + 200;
		while (Date.now() < until) {
			// A span of CPU time to measure.
		}
		await controller.refresh();
		assert.equal(published, 2);
		assert.ok(controller.snapshot.host !== null, 'the machine, after refresh');
		const [own] = controller.snapshot.os!.processes;
		assert.ok(own!.cpuPercent !== null && own!.cpuPercent > 0, 'a CPU share since start');
	} finally {
		await controller.stop();
	}
});

test("after a switch, the new model's figures are published as it reports, not at the next tick", async () => {
	// No tick in the test's time: every snapshot seen is one the switch itself published.
	const still = {tickMs: 60_000, rollMs: 60_000, procMs: 60_000, hostMs: 60_000};
	const controller = new Controller(
		parseOptions({mode: 'async', port: '0', clients: '0', poolSize: '6'}),
		still,
	);
	await controller.start();
	try {
		const before = processTotals(controller.snapshot.os!.processes).threads!;
		const published: Snapshot[] = [];
		controller.subscribe((snapshot) => published.push(snapshot));
		await controller.dispatch({type: 'set-mode', mode: 'pool'});
		// The pool's six threads exist once it listens (each Worker is an OS thread from its start).
		const first = published.find((snapshot) => snapshot.server.mode === 'pool');
		assert.ok(first, 'a snapshot with the new model is published when the switch completes');
		const threads = processTotals(first.os!.processes).threads!;
		assert.ok(
			threads >= before + 6,
			`the first snapshot of pool reads its OS threads anew: ${threads}, async had ${before}`,
		);
		// Each thread reports itself up a moment later: those reports are published as they come.
		await waitFor(
			() => published.some((snapshot) => snapshot.workers.threads === 6),
			() =>
				`a published snapshot with the pool's 6 worker threads (last: ${published.at(-1)?.workers.threads})`,
		);
	} finally {
		await controller.stop();
	}
});
