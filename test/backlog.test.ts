import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {test} from 'node:test';
import {EchoServer} from '../source/server/echo-server.js';

test('async listens with a deep accept queue, so a connect storm is not dropped by the kernel', async (t) => {
	let ss: string;
	try {
		ss = execFileSync('ss', ['-V'], {encoding: 'utf8'});
	} catch {
		t.skip('ss is not installed');
		return;
	}
	assert.ok(ss.length > 0);
	const host = new EchoServer({host: '127.0.0.1', port: 0, handler: 'echo'}, () => {});
	try {
		const port = await host.start('async');
		// For a listener, ss shows the backlog as Send-Q; the kernel caps it at net.core.somaxconn.
		const line = execFileSync('ss', ['-Hltn', `sport = :${port}`], {encoding: 'utf8'}).trim();
		const sendQ = Number(line.split(/\s+/)[2]);
		assert.ok(sendQ > 511, line);
	} finally {
		await host.stop();
	}
});
