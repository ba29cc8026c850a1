import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {createElement} from 'react';
import {ConcurrencyPanel} from '../source/ui/panels/concurrency.js';
import {SEQUENTIAL_SNAPSHOT} from './helpers/snapshots.js';
import {EchoServer} from '../source/server/echo-server.js';
import type {ClusterAccept, ServerEvent} from '../source/server/protocol.js';
import {DEFAULT_SETTINGS} from '../source/server/settings.js';
import {childPids, LineClient} from './helpers/servers.js';
import {sleep, waitFor} from './helpers/net.js';

/**
 * With 12 and 23 clients arriving a few at a time, every client landed on one
 * cluster child (the kernel wakes the child that waited last on a shared listening socket). By
 * default the connections are now dealt round-robin: each child's count, read from the kernel (`ss`
 * per pid, joined to /proc's children of this process), is within one of even.
 */
async function startCluster(accept?: ClusterAccept) {
	const events: ServerEvent[] = [];
	const host = new EchoServer(
		{host: '127.0.0.1', port: 0, handler: 'echo', ...(accept ? {clusterAccept: accept} : {})},
		(event) => events.push(event),
		DEFAULT_SETTINGS,
	);
	const port = await host.start('cluster');
	await host.accepting();
	return {host, port, events};
}

/** Established connections on `port` per owning pid, from `ss -tnp` (the server side: sport). */
function connectionsPerPid(port: number): Map<number, number> {
	const text = execFileSync('ss', ['-tnpH', 'state', 'established', `( sport = :${port} )`], {
		encoding: 'utf8',
	});
	const counts = new Map<number, number>();
	for (const line of text.split('\n')) {
		const pid = /pid=(\d+)/.exec(line)?.[1];
		if (pid) counts.set(Number(pid), (counts.get(Number(pid)) ?? 0) + 1);
	}
	return counts;
}

/** `count` clients, `group` at a time with a pause between groups; each is answered once. */
async function arriveInGroups(port: number, count: number, group = 3): Promise<LineClient[]> {
	const clients: LineClient[] = [];
	while (clients.length < count) {
		const batch = await Promise.all(
			Array.from({length: Math.min(group, count - clients.length)}, () => LineClient.connect(port)),
		);
		for (const client of batch) assert.equal(await client.ask('hello'), 'hello');
		clients.push(...batch);
		await sleep(150);
	}
	return clients;
}

for (const count of [12, 23]) {
	test(`cluster deals ${count} clients arriving a few at a time within one of even across its children (ss per pid)`, async () => {
		const {host, port, events} = await startCluster();
		const clients: LineClient[] = [];
		try {
			const children = childPids().filter((pid) =>
				events.some(
					(event) =>
						event.type === 'worker-up' &&
						event.worker.kind === 'process' &&
						event.worker.pid === pid,
				),
			);
			assert.ok(children.length >= 2, `children: ${children.join(',')}`);
			clients.push(...(await arriveInGroups(port, count)));
			const perPid = await waitFor(() => {
				const counts = connectionsPerPid(port);
				const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
				return total === count ? counts : undefined;
			}, `${count} established connections in ss`);
			const split = children.map((pid) => perPid.get(pid) ?? 0);
			assert.equal(
				split.reduce((sum, n) => sum + n, 0),
				count,
				`every connection is owned by a child: ${JSON.stringify([...perPid])}`,
			);
			assert.ok(
				Math.max(...split) - Math.min(...split) <= 1,
				`${count} clients split ${split.join('/')} across pids ${children.join('/')}`,
			);
		} finally {
			await Promise.all(clients.map((client) => client.close()));
			await host.stop();
		}
	});
}

test('cluster --cluster-accept shared: every child accepts from the one socket, and every client is served', async () => {
	const {host, port, events} = await startCluster('shared');
	const clients: LineClient[] = [];
	try {
		const listening = events.find((event) => event.type === 'listening');
		assert.equal(listening?.type === 'listening' && listening.accept, 'shared');
		clients.push(...(await arriveInGroups(port, 12)));
		const perPid = connectionsPerPid(port);
		assert.equal(
			[...perPid.values()].reduce((sum, n) => sum + n, 0),
			12,
			JSON.stringify([...perPid]),
		);
		// Each child listens on the shared socket itself (in ss, the listener's users are the children).
		const listeners = execFileSync('ss', ['-tlnpH', `( sport = :${port} )`], {encoding: 'utf8'});
		for (const pid of perPid.keys()) assert.match(listeners, new RegExp(`pid=${pid},`));
	} finally {
		await Promise.all(clients.map((client) => client.close()));
		await host.stop();
	}
});

test('the Concurrency panel says how the cluster deals its connections, from the listening event', () => {
	const workers = {threads: 0, processes: 2, busy: 2, rows: []};
	const panel = (accept: string, width: number) => {
		const server = {...SEQUENTIAL_SNAPSHOT.server, mode: 'cluster', accept};
		const {lastFrame, unmount} = render(
			createElement(ConcurrencyPanel, {server, workers, os: null, width}),
		);
		const text = lastFrame()!;
		unmount();
		return text;
	};
	assert.match(panel('round-robin', 30), /accept +round-robin by parent/);
	assert.match(panel('shared', 36), /accept +shared socket, kernel picks/);
	assert.match(panel('shared', 23), /accept +shared/);
});
