import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {ServerEvent} from '../source/server/protocol.js';
import {SPARE_THREADS} from '../source/server/modes/thread.js';
import {waitFor} from './helpers/net.js';
import {LineClient, startHost} from './helpers/servers.js';

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
