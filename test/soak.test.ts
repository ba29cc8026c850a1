import assert from 'node:assert/strict';
import {test} from 'node:test';
import {runSoak} from '../bench/soak-run.js';

const MB = 2 ** 20;

/**
 * 18 s of warm-up (one round of the eight models) and 20 s measured: 17 switches on a quiet machine,
 * 9-13 measured at load average 17-20 at nice 19 (a switch to a model with children takes seconds
 * there), so at least 8: a switch every 4.75 s or better; and 346-1212 connections there, 250 at
 * least (a rate: the file runs alone). The long soak is a benchmark:
 * `node dist/bench/soak.js 10` (ten minutes; docs/security.md has its figures).
 */
test('soak: clients coming and going while the model switches every 2 s leave threads, children, fds and RSS where they started', async (t) => {
	const result = await runSoak({durationMs: 20_000, switchMs: 2000, clients: 12});
	const {start, end} = result;
	t.diagnostic(
		`${result.seconds.toFixed(0)} s, ${result.switches} switches, ${result.connections} connections; start ${JSON.stringify(start)} end ${JSON.stringify(end)}`,
	);
	assert.ok(result.switches >= 8, `switched ${result.switches} times`);
	assert.ok(result.connections > 250, `${result.connections} connections`);
	assert.equal(result.corrupt, 0, 'every reply a prefix of what was sent');
	assert.ok(end.threads <= start.threads + 1, `threads ${start.threads} → ${end.threads}`);
	assert.equal(end.processes, start.processes, 'child processes');
	assert.ok(end.fds <= start.fds + 2, `fds ${start.fds} → ${end.fds}`);
	assert.ok(
		end.rssBytes - start.rssBytes < 48 * MB,
		`RSS ${(start.rssBytes / MB).toFixed(0)} → ${(end.rssBytes / MB).toFixed(0)} MB`,
	);
});
