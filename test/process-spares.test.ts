import assert from 'node:assert/strict';
import {test} from 'node:test';
import {SPARE_CHILDREN} from '../source/server/modes/process.js';
import {SPARE_THREADS} from '../source/server/modes/thread.js';
import {childPids, LineClient, startHost} from './helpers/servers.js';
import {waitFor} from './helpers/net.js';
import type {ServerEvent} from '../source/server/protocol.js';

/**
 * Issue 22, points 2 and 3: thread and process per client keep one kind of spares (spares.ts), as
 * Apache prefork does, growing with the arrival rate. A burst of 24 newcomers (beyond the 16 spares
 * kept at rest) raises the spares kept to 24: once those clients have left, 24 idle workers wait for
 * the next burst, where before 16 did. Children are counted in /proc; threads by the workers that
 * started and have not ended.
 */
const BURST = 24;

const live = (events: readonly ServerEvent[]) =>
	events.filter((event) => event.type === 'worker-up').length -
	events.filter((event) => event.type === 'worker-down').length;

for (const [mode, floor, what, count] of [
	['process', SPARE_CHILDREN, 'spare children', () => childPids().length],
	['thread', SPARE_THREADS, 'spare threads', live],
] as const) {
	test(`${mode} per client: after a burst of ${BURST} newcomers, ${BURST} ${what} are kept`, async () => {
		assert.ok(BURST > floor);
		const {host, port, events} = await startHost(mode, 'echo', {maxWorkers: 40});
		const clients: LineClient[] = [];
		try {
			clients.push(
				...(await Promise.all(Array.from({length: BURST}, () => LineClient.connect(port)))),
			);
			await Promise.all(
				clients.map(async (client) => assert.equal(await client.ask('hi', 60_000), 'hi')),
			);
			// The kept spares, as the last growth said: the burst, or most of it when accepting it
			// took longer than the 5 s window on a loaded machine.
			const grown = new RegExp(`newcomers within 5 s: (\\d+) ${what} kept`);
			const kept = () => {
				const texts = events.flatMap((event) => (event.type === 'log' ? [event.text] : []));
				const last = texts.filter((text) => grown.test(text)).at(-1);
				return last === undefined ? undefined : Number(grown.exec(last)![1]);
			};
			await waitFor(() => kept(), 'the spares to grow');
			assert.ok(kept()! > floor && kept()! <= BURST, `${kept()} spares kept`);
			await Promise.all(clients.map((client) => client.close()));
			// Every worker that served has ended; what is left are spares, serving no one.
			await waitFor(
				() =>
					events.filter((event) => event.type === 'worker-down').length >= BURST &&
					count(events) === kept(),
				() => `${count(events)} ${mode === 'thread' ? 'threads' : 'children'}, ${kept()} wanted`,
				90_000,
			);
			assert.equal(events.filter((event) => event.type === 'conn-open').length, BURST);
		} finally {
			await Promise.all(clients.map((client) => client.close()));
			await host.stop();
		}
	});
}
