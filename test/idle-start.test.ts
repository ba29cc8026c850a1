import assert from 'node:assert/strict';
import {test} from 'node:test';
import {startHost} from './helpers/servers.js';
import {ByteClient} from './helpers/net.js';

/**
 * --idle-timeout measures the client's silence, not the server's start: a pool thread still warming
 * up (each does 1,500 rounds before its first client; eight at once take a core for about half a
 * second here, seconds under load) must not count against a client that spoke at once. On the old
 * code the main thread's clock started when it handed the connection over, and this client was
 * closed as silent before its thread read the line it had sent.
 */
test('pool: a client that spoke while its thread was still starting is answered, not closed as silent', async () => {
	const {host, port, events} = await startHost('pool', 'echo', {idleTimeoutMs: 100, poolSize: 8});
	try {
		const client = await ByteClient.connect(port);
		assert.equal((await client.ask('first\n', 10_000)).toString(), 'first\n');
		assert.equal(
			events.some((event) => event.type === 'log' && /silent for/.test(event.text)),
			false,
			'no connection closed as silent',
		);
		await client.close();
	} finally {
		await host.stop();
	}
});
