import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {ServerEvent} from '../source/server/protocol.js';
import {render} from 'ink-testing-library';
import {Controller} from '../source/live/controller.js';
import {EchoServer} from '../source/server/echo-server.js';
import {parseOptions} from '../source/options/options.js';
import {SPARE_CHILDREN} from '../source/server/modes/process.js';
import {SPARE_THREADS} from '../source/server/modes/thread.js';
import {ProcessesPanel} from '../source/ui/panels/processes.js';
import {waitFor} from './helpers/net.js';
import {childPids, isAlive, LineClient, startHost} from './helpers/servers.js';

const ups = (events: readonly ServerEvent[]) =>
	events.filter(
		(event): event is Extract<ServerEvent, {type: 'worker-up'}> => event.type === 'worker-up',
	);

test('thread per client keeps spare threads started ahead, shown, and gives a newcomer a ready one', async () => {
	const {host, events, port} = await startHost('thread');
	try {
		await waitFor(() => ups(events).length >= SPARE_THREADS, 'the spare threads to start', 30_000);
		assert.ok(
			events.some(
				(event) => event.type === 'log' && /spare threads started ahead/.test(event.text),
			),
			'the spares are announced',
		);
		const spares = ups(events).map((event) => event.worker);
		assert.ok(
			ups(events).every((event) => event.connection === null),
			'spares serve no one',
		);
		const client = await LineClient.connect(port);
		client.send('hello');
		assert.equal(await client.next(), 'hello');
		const open = events.find(
			(event): event is Extract<ServerEvent, {type: 'conn-open'}> => event.type === 'conn-open',
		)!;
		assert.ok(
			spares.some((spare) => JSON.stringify(spare) === JSON.stringify(open.by)),
			'the newcomer is served by a spare',
		);
		// The spare it took is replaced, so SPARE_THREADS stay ready beside the busy one.
		await waitFor(() => ups(events).length >= SPARE_THREADS + 1, 'a new spare', 30_000);
		await client.close();
	} finally {
		await host.stop();
	}
});

test('process per client keeps spare children started ahead; a newcomer takes a ready one; a killed spare costs no client; switching away ends them', async () => {
	const {host, events, port} = await startHost('process');
	const client = await LineClient.connect(port);
	try {
		// startHost waited for the spares.
		assert.ok(
			events.some(
				(event) =>
					event.type === 'log' && /16 spare child processes started ahead/.test(event.text),
			),
			'the spares are announced',
		);
		const spares = ups(events).map((event) => event.worker);
		assert.equal(spares.length, SPARE_CHILDREN);
		assert.ok(
			ups(events).every((event) => event.connection === null),
			'spares serve no one',
		);
		const pids = spares.map((spare) => (spare.kind === 'process' ? spare.pid : -1));
		assert.deepEqual(
			childPids().filter((pid) => pids.includes(pid)),
			[...pids].sort((a, b) => a - b),
			'each spare is a process of ours',
		);
		client.send('hello');
		assert.equal(await client.next(), 'hello');
		const open = events.find(
			(event): event is Extract<ServerEvent, {type: 'conn-open'}> => event.type === 'conn-open',
		)!;
		assert.ok(open.by.kind === 'process' && pids.includes(open.by.pid), 'served by a spare');
		assert.ok(
			events.some(
				(event) =>
					event.type === 'worker-busy' &&
					JSON.stringify(event.worker) === JSON.stringify(open.by) &&
					event.connection === open.id,
			),
			'the spare is shown serving the newcomer',
		);
		// The spare it took is replaced.
		await waitFor(() => ups(events).length >= SPARE_CHILDREN + 1, 'a new spare', 30_000);
		const idle = pids.find((pid) => pid !== (open.by.kind === 'process' ? open.by.pid : -1))!;
		process.kill(idle, 'SIGKILL');
		await waitFor(
			() =>
				events.some(
					(event) =>
						event.type === 'log' &&
						event.text === `pid ${idle} ended (SIGKILL): a spare, serving no one`,
				),
			'the killed spare is logged',
		);
		assert.equal(await client.ask('still'), 'still', 'a killed spare ends no client');
		await waitFor(
			() => ups(events).length >= SPARE_CHILDREN + 2,
			'the killed spare replaced',
			30_000,
		);
		const all = ups(events).map((event) =>
			event.worker.kind === 'process' ? event.worker.pid : -1,
		);
		await host.start('async');
		await client.closed;
		await waitFor(
			() => all.every((pid) => !isAlive(pid)),
			() => `children left after the switch: ${all.filter(isAlive).join(',')}`,
		);
	} finally {
		await client.close();
		await host.stop();
	}
});

test('the processes panel shows each spare child as idle and the one serving by its connection, as /proc lists them', async () => {
	const controller = new Controller(parseOptions({mode: 'process', port: '0', clients: '0'}));
	await controller.start();
	const client = await LineClient.connect(controller.port);
	try {
		assert.equal(await client.ask('hi'), 'hi');
		// The client's child and the spares, one replacing the spare it took.
		const snapshot = await waitFor(
			() => {
				const now = controller.snapshot;
				const listed = now.os?.processes.length ?? 0;
				return (
					now.workers.processes === SPARE_CHILDREN + 1 &&
					listed === SPARE_CHILDREN + 2 &&
					now.connections.open === 1 &&
					now
				);
			},
			'the server, the client child and the spares on screen',
			30_000,
		);
		const {lastFrame, unmount} = render(
			<ProcessesPanel os={snapshot.os} workers={snapshot.workers} width={80} height={80} />,
		);
		const text = lastFrame()!;
		unmount();
		const children = [...text.matchAll(/(\d+) child +(idle|conn #\d+|\d+ conns?) /g)].map(
			([, pid, serves]) => ({
				pid: Number(pid),
				serves,
			}),
		);
		assert.deepEqual(
			children.map((child) => child.pid).sort((a, b) => a - b),
			childPids(),
			text,
		);
		assert.equal(children.filter((child) => child.serves === 'idle').length, SPARE_CHILDREN, text);
		assert.deepEqual(
			children.filter((child) => child.serves !== 'idle').map((child) => child.serves),
			[`conn #${snapshot.connections.rows[0]!.id}`],
			text,
		);
	} finally {
		await client.close();
		await controller.stop();
	}
});

/** A child stopped with SIGSTOP (or stuck) ignores SIGTERM: ending the model must not wait on it forever. */
for (const mode of ['process', 'cluster'] as const) {
	test(`${mode}: a switch away ends a stopped child (SIGKILL after its grace)`, async () => {
		const {host} = await startHost(mode);
		const pids = childPids();
		try {
			process.kill(pids[0]!, 'SIGSTOP');
			const stopped = await Promise.race([
				host.stop().then(() => 'stopped'),
				new Promise((resolve) => setTimeout(resolve, 10_000, 'still waiting')),
			]);
			assert.equal(stopped, 'stopped');
			await waitFor(() => pids.every((pid) => !isAlive(pid)), 'every child to be gone');
		} finally {
			for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
		}
	});
}

test('process per client: a child that never says it is ready is killed at its deadline, and the spares go on', async () => {
	const events: ServerEvent[] = [];
	const host = new EchoServer({host: '127.0.0.1', port: 0, handler: 'echo'}, (event) =>
		events.push(event),
	);
	let stuck: number | undefined;
	try {
		const starting = host.start('process');
		// The first spare, caught while node boots (about 0.1 s), before it can say ready.
		while (stuck === undefined) {
			stuck = childPids()[0];
			if (stuck === undefined) await new Promise((resolve) => setTimeout(resolve, 1));
		}
		process.kill(stuck, 'SIGSTOP');
		const port = await starting;
		await waitFor(
			() =>
				events.some(
					(event) => event.type === 'log' && /did not start within 15 s/.test(event.text),
				),
			'the stuck child to be given up',
			25_000,
		);
		await waitFor(() => !isAlive(stuck!), 'the stuck child to be killed');
		await host.accepting();
		const client = await LineClient.connect(port);
		client.send('after');
		assert.equal(await client.next(), 'after');
		await client.close();
	} finally {
		await host.stop();
		if (stuck !== undefined && isAlive(stuck)) process.kill(stuck, 'SIGKILL');
	}
});
