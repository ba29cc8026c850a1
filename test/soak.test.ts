import assert from 'node:assert/strict';
import {test} from 'node:test';
import {runSoak} from '../bench/soak-run.js';

const MB = 2 ** 20;

test('soak: a minute of clients coming and going while the model switches every 2 s leaves threads, children, fds and RSS where they started', async (t) => {
	const result = await runSoak({durationMs: 40_000, switchMs: 2000, clients: 12});
	const {start, end} = result;
	t.diagnostic(
		`${result.seconds.toFixed(0)} s, ${result.switches} switches, ${result.connections} connections; start ${JSON.stringify(start)} end ${JSON.stringify(end)}`,
	);
	assert.ok(result.switches >= 16, `switched ${result.switches} times`);
	assert.ok(result.connections > 500, `${result.connections} connections`);
	assert.equal(result.corrupt, 0, 'every reply a prefix of what was sent');
	assert.ok(end.threads <= start.threads + 1, `threads ${start.threads} → ${end.threads}`);
	assert.equal(end.processes, start.processes, 'child processes');
	assert.ok(end.fds <= start.fds + 2, `fds ${start.fds} → ${end.fds}`);
	assert.ok(
		end.rssBytes - start.rssBytes < 48 * MB,
		`RSS ${(start.rssBytes / MB).toFixed(0)} → ${(end.rssBytes / MB).toFixed(0)} MB`,
	);
});
