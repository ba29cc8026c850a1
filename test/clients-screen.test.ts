/**
 * The `clients` command's screen through a real terminal: it draws the clients' figures as they
 * come, its keys add and drop clients (each press counts, as on the dashboard), what a terminal sends
 * that is not a key adds nothing, and q ends it with every connection closed.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {startEchoServer, waitFor} from './helpers/net.js';
import {spawnNode} from './helpers/pty.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const ESC = '\u001B';

test('clients screen: c/C add, x drops, a paste and a mouse report do nothing, q ends it', async (t) => {
	const echo = await startEchoServer();
	const {port, sockets} = echo;
	t.after(() => echo.close());
	const session = spawnNode(
		CLI,
		['clients', '--target', `127.0.0.1:${port}`, '--clients', '2', '--rate', '5'],
		{cols: 80, rows: 24, env: {TERM: 'xterm-256color', LANG: 'C.UTF-8'}},
	);
	t.after(() => session.dispose());
	const connections = (total: number) => (s: typeof session) =>
		new RegExp(`connections\\s+${total} of ${total}\\b`).test(s.text());
	await session.waitFor(connections(2), 15_000);
	assert.match(session.text(), new RegExp(`concurrency-top clients\\s+127\\.0\\.0\\.1:${port}`));

	session.press('cc');
	await session.waitFor(connections(4), 10_000);
	session.press('C');
	await session.waitFor(connections(14), 10_000);
	session.press('xxx');
	await session.waitFor(connections(11), 10_000);
	// A bracketed paste of `c` and a mouse wheel report are not key presses.
	session.press(`${ESC}[200~ccc${ESC}[201~${ESC}[<64;20;5M`);
	session.press('x');
	await session.waitFor(connections(10), 10_000);
	assert.equal(sockets.size, 10, 'the server holds as many connections as the screen says');

	session.press('q');
	assert.equal((await session.waitForExit()).exitCode, 0);
	await waitFor(() => sockets.size === 0, 'the clients closed their connections');
});
