import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {findDescendants} from '../source/collectors/proc.js';
import {waitFor} from './helpers/net.js';
import {spawnNode} from './helpers/pty.js';
import {isAlive} from './helpers/servers.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../examples/python/', import.meta.url));
const has = (command: string) => spawnSync(command, ['--version'], {stdio: 'ignore'}).status === 0;
const missing =
	process.platform !== 'linux'
		? 'watch needs Linux'
		: !has('python3')
			? 'python3 is not installed'
			: spawnSync('ss', ['-V'], {stdio: 'ignore'}).status !== 0
				? 'ss (iproute2) is not installed'
				: false;

test(
	'watch in a real terminal: c adds clients, the model keys do nothing, q ends the server and its children',
	{skip: missing},
	async (t) => {
		const session = spawnNode(
			CLI,
			[
				'watch',
				'--handler',
				'upper',
				'--',
				'python3',
				`${EXAMPLES}process_server.py`,
				'--port',
				'0',
			],
			{env: {TERM: 'xterm-256color', LANG: 'C.UTF-8'}},
		);
		t.after(() => session.dispose());
		// The whole first frame, not only its top line: a frame can reach the terminal in two reads.
		await session.waitFor((s) => s.text().includes('watched') && s.lines().at(-1) !== '', 15_000);
		assert.match(session.lines().at(-1)!, /c\/C add x\/X drop t threads/);
		// Model, pool, work and crash keys: nothing to change on a server we only watch.
		session.press('m3+w!p');
		session.press('ccc');
		await session.waitFor((s) => /Connections 3 active/.test(s.text()), 15_000);
		await session.waitFor((s) => /processes\s+4/.test(s.text()), 15_000);
		const tree = await findDescendants(session.pid);
		assert.ok(tree.length >= 5, `the server, its 3 children and our test clients: ${tree.length}`);
		session.press('q');
		const exit = await session.waitForExit(10_000);
		assert.equal(exit.exitCode, 0);
		assert.equal(session.bufferType(), 'normal', 'the main screen is back');
		await waitFor(
			() => tree.every((pid) => !isAlive(pid)),
			'every process of ours to be gone',
			5000,
		);
	},
);

test(
	'watch in a real terminal: t shows each thread of the threaded server in its call, on its connection',
	{skip: missing},
	async (t) => {
		const session = spawnNode(
			CLI,
			['watch', '--clients', '3', '--', 'python3', `${EXAMPLES}thread_server.py`, '--port', '0'],
			{env: {TERM: 'xterm-256color', LANG: 'C.UTF-8'}},
		);
		t.after(() => session.dispose());
		await session.waitFor((s) => /Connections 3 active/.test(s.text()), 15_000);
		session.press('t');
		// The main thread in accept4 on the listener; a thread in recvfrom on each client's connection.
		await session.waitFor(
			(s) =>
				/accept4\s+listen :\d+/.test(s.text()) &&
				(s.text().match(/recvfrom\s+#\d+ 127\.0\.0\.1:\d+/g) ?? []).length === 3,
			15_000,
		);
		session.press('q');
		assert.equal((await session.waitForExit(10_000)).exitCode, 0);
	},
);
