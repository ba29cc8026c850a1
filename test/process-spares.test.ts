import assert from 'node:assert/strict';
import {test} from 'node:test';
import {SPARE_CHILDREN} from '../source/server/modes/process.js';
import {childPids, LineClient, startHost} from './helpers/servers.js';
import {waitFor} from './helpers/net.js';

/**
 * Process per client keeps spares as Apache prefork does, growing with the arrival
 * rate. A burst of 24 newcomers (beyond the 16 spares kept at rest) raises the spares kept to 24:
 * once those clients have left, 24 idle children wait for the next burst (counted in /proc), where
 * before 16 did.
 */
const BURST = 24;

test(`process per client: after a burst of ${BURST} newcomers, ${BURST} spare children are kept (from /proc)`, async () => {
	assert.ok(BURST > SPARE_CHILDREN);
	const {host, port, events} = await startHost('process', 'echo', {maxWorkers: 40});
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
		const kept = () => {
			const texts = events.flatMap((event) => (event.type === 'log' ? [event.text] : []));
			const last = texts
				.filter((text) => /newcomers within 5 s: \d+ spare children kept/.test(text))
				.at(-1);
			return last === undefined ? undefined : Number(/: (\d+) spare/.exec(last)![1]);
		};
		await waitFor(() => kept(), 'the spares to grow');
		assert.ok(kept()! > SPARE_CHILDREN && kept()! <= BURST, `${kept()} spares kept`);
		await Promise.all(clients.map((client) => client.close()));
		// Every child that served has ended; what is left are spares, serving no one.
		await waitFor(
			() =>
				events.filter((event) => event.type === 'worker-down').length >= BURST &&
				childPids().length === kept(),
			() => `${childPids().length} children, ${kept()} wanted`,
			90_000,
		);
		assert.equal(events.filter((event) => event.type === 'conn-open').length, BURST);
	} finally {
		await Promise.all(clients.map((client) => client.close()));
		await host.stop();
	}
});
