import assert from 'node:assert/strict';
import {test} from 'node:test';
import {establishedIn, peersInSs, readEstablishedPeers} from '../source/collectors/proc.js';
import {MetricsStore} from '../source/metrics/store.js';
import type {ServerEvent} from '../source/server/protocol.js';
import {hybridPoolSize} from '../source/server/modes/pool.js';
import {LineClient, startHost} from './helpers/servers.js';
import {waitFor} from './helpers/net.js';

/** Queued ids from the events: opened queued, not yet served or closed. */
function queuedIds(events: readonly ServerEvent[]): number[] {
	const queued = new Set<number>();
	for (const event of events) {
		if (event.type === 'conn-open' && event.state === 'queued') queued.add(event.id);
		if (event.type === 'conn-serve' || event.type === 'conn-close') queued.delete(event.id);
	}
	return [...queued];
}

// Sequential's waiting clients are in the kernel's accept queue, not the server's: one that leaves
// stays there until accepted, as with the tutorial's server (behaviour.test.ts checks the queue).
for (const [mode, settings] of [
	['pool', {poolSize: 1}],
	['hybrid', {}],
] as const) {
	test(`${mode}: a waiting client that leaves leaves the queue within a tick, by FIN or by reset`, async () => {
		const {host, port, events} = await startHost(mode, 'echo', settings);
		const clients: LineClient[] = [];
		try {
			// Hybrid's pool is cores + 4 threads: fill it, then two more wait.
			const serving = mode === 'hybrid' ? hybridPoolSize() : 1;
			for (let i = 0; i < serving + 2; i++) clients.push(await LineClient.connect(port));
			await waitFor(
				() => queuedIds(events).length === 2,
				() => `queued ${queuedIds(events)}`,
			);
			const [first, second] = queuedIds(events);
			// A FIN: the socket goes to CLOSE-WAIT on the server, which never reads it while it waits.
			await clients.at(-2)!.close();
			await waitFor(
				() => queuedIds(events).length === 1,
				() => `still queued ${queuedIds(events)} after the client closed`,
				1500,
			);
			assert.deepEqual(queuedIds(events), [second]);
			// A reset: the socket disappears from the kernel's table.
			clients.at(-1)!.socket.resetAndDestroy();
			await waitFor(
				() => queuedIds(events).length === 0,
				() => `still queued ${queuedIds(events)} after the client reset`,
				1500,
			);
			assert.ok(first! < second!);
			// The ones served are untouched.
			assert.equal(await clients[0]!.ask('still'), 'still');
		} finally {
			await Promise.all(clients.map((client) => client.close()));
			await host.stop();
		}
	});
}

test('the store logs a waiting client that left as such, and a switch starts the longest wait afresh', () => {
	const store = new MetricsStore({host: '127.0.0.1', port: 9, handler: 'echo'}, 0);
	const main = {kind: 'main'} as const;
	store.apply({type: 'listening', mode: 'sequential', host: '127.0.0.1', port: 9, at: 0});
	store.apply({type: 'conn-open', id: 1, peer: 'a', state: 'active', by: main, at: 0});
	store.apply({
		type: 'conn-open',
		id: 2,
		peer: 'b',
		state: 'queued',
		by: main,
		waitIn: 'line',
		at: 0,
	});
	store.apply({type: 'conn-close', id: 2, at: 5700});
	let snapshot = store.snapshot({offset: 0, limit: 10}, 5700);
	assert.equal(snapshot.queue.waiting, 0);
	assert.equal(snapshot.queue.longestWaitMs, 5700);
	assert.match(snapshot.events.at(-1)!.text, /#2 b left while waiting \(5\.7 ?s\)/);
	store.apply({type: 'conn-close', id: 1, at: 5800});
	store.apply({type: 'listening', mode: 'thread', host: '127.0.0.1', port: 9, at: 6000});
	snapshot = store.snapshot({offset: 0, limit: 10}, 6000);
	assert.equal(snapshot.queue.longestWaitMs, 0);
	assert.ok(snapshot.events.some((line) => line.text.includes('left while waiting')));
});

test('established peers are read the same from ss and from /proc/net/tcp{,6}', async () => {
	const lines = [
		'  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
		'   0: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 1',
		'   1: 0100007F:1F90 0100007F:D432 08 00000000:00000000 00:00000000 00000000  1000        0 2',
		'   2: 0100007F:1F91 0100007F:D433 01 00000000:00000000 00:00000000 00000000  1000        0 3',
	].join('\n');
	assert.deepEqual(establishedIn(lines, 0x1f90), ['127.0.0.1:54321']);
	const six = [
		'  sl  local_address                         remote_address                        st',
		'   0: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:D431 01',
		'   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:D432 01',
	].join('\n');
	assert.deepEqual(establishedIn(six, 0x1f90), ['[::1]:54321', '127.0.0.1:54322']);
	const ss = '0 0 [::1]:8080 [::1]:54321\n0 0 [::ffff:127.0.0.1]:8080 [::ffff:127.0.0.1]:54322\n';
	assert.deepEqual([...peersInSs(ss)], ['[::1]:54321', '127.0.0.1:54322']);
	// And against the live kernel: the peer of a real connection is among them.
	const {host, port} = await startHost('async');
	const client = await LineClient.connect(port);
	try {
		const peers = await readEstablishedPeers(port);
		const local = client.socket.address();
		assert.ok(
			peers?.has(`127.0.0.1:${'port' in local ? local.port : 0}`),
			[...(peers ?? [])].join(),
		);
	} finally {
		await client.close();
		await host.stop();
	}
});
