/**
 * LANG=C: every view of the dashboard in a real terminal writes nothing but ASCII (no byte above
 * 0x7E), the table of the threads view included.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {spawnNode} from './helpers/pty.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

test('LANG=C: every view, the help and the filter are drawn in plain ASCII', async (t) => {
	const session = spawnNode(CLI, ['--port', '0', '--mode', 'pool', '--clients', '3'], {
		cols: 80,
		rows: 24,
		env: {TERM: 'xterm-256color', LANG: 'C', LC_ALL: undefined, LC_CTYPE: undefined},
	});
	t.after(() => session.dispose());
	await session.waitFor((s) => /Connections 3 active/.test(s.text()), 15_000);
	const steps: [keys: string, shown: RegExp][] = [
		['s', /ID +PEER +STATE/],
		['e', /\+- Events -/],
		['t', /\+- Processes \d/],
		['t', /Connections 3 active/],
		['?', /\+- Keys -/],
		['x', /Connections/],
		['/poo', /filter: poo/],
		['\u001B', /1-3 of 3/],
		[' ', /PAUSED/],
		[' ', /concurrency-top/],
	];
	for (const [keys, shown] of steps) {
		session.press(keys);
		await session.waitFor((s) => shown.test(s.text()), 10_000);
	}
	// Issue 27.13: at 60x20 what fits is drawn (as htop does); only below 40x8 does it say so.
	session.resize(60, 20);
	await session.waitFor((s) => /\+- Concurrency -/.test(s.text()) && /ID +PEER/.test(s.text()));
	session.resize(30, 6);
	await session.waitFor('needs 40x8');
	await session.settled();
	const high = [...session.output].filter((char) => char.charCodeAt(0) > 0x7e);
	assert.deepEqual([...new Set(high)], [], 'characters above 0x7E written to the terminal');
	assert.ok(session.bytes > 1000);
});
