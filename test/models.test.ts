import assert from 'node:assert/strict';
import {test} from 'node:test';
import {MODE_NAMES} from '../source/server/mode.js';
import {LineClient, startHost} from './helpers/servers.js';

const CLIENTS = 5;

for (const mode of MODE_NAMES) {
	test(`${mode}: ${CLIENTS} concurrent clients get echo and upper replies`, async () => {
		for (const handler of ['echo', 'upper'] as const) {
			const {host, port} = await startHost(mode, handler, {poolSize: CLIENTS});
			try {
				const clients = await Promise.all(
					Array.from({length: CLIENTS}, () => LineClient.connect(port)),
				);
				if (mode === 'sequential') {
					// One at a time: each answers once the ones before it have gone.
					for (const [index, client] of clients.entries()) {
						const expected = handler === 'echo' ? `hello ${index}` : `HELLO ${index}`;
						assert.equal(await client.ask(`hello ${index}`), expected);
						await client.close();
					}
				} else {
					const replies = await Promise.all(
						clients.map((client, index) => client.ask(`hello ${index} ü`)),
					);
					assert.deepEqual(
						replies,
						clients.map((_, index) =>
							handler === 'echo' ? `hello ${index} ü` : `HELLO ${index} ü`,
						),
					);
					await Promise.all(clients.map((client) => client.close()));
				}
			} finally {
				await host.stop();
			}
		}
	});
}
