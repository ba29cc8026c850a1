import assert from 'node:assert/strict';
import {test, type TestContext} from 'node:test';
import {fileURLToPath} from 'node:url';
import {readFileSync} from 'node:fs';
import {findDescendants} from '../source/collectors/proc.js';
import {formatBytes} from '../source/shared/format.js';
import {waitFor} from './helpers/net.js';
import {spawnNode, type PtySession} from './helpers/pty.js';
import {isAlive} from './helpers/servers.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

/** The built CLI in a real terminal. */
async function dashboard(
	t: TestContext,
	args: string[],
	cols = 80,
	rows = 24,
): Promise<PtySession> {
	const session = spawnNode(CLI, ['--port', '0', ...args], {
		cols,
		rows,
		env: {TERM: 'xterm-256color', LANG: 'C.UTF-8'},
	});
	t.after(() => session.dispose());
	// The first frame: clients given with --clients may already be connected when it is drawn.
	await session.waitFor((s) => /Connections \d+ active/.test(s.text()), 10_000);
	return session;
}

const connectionRows = (session: PtySession) =>
	session.lines().filter((line) => /│\s+#\d+ 127\.0\.0\.1:\d+\s+(active|queued)/.test(line));

test('in a real terminal: c three times shows three connections, q exits 0 and leaves no child', async (t) => {
	const session = await dashboard(t, []);
	assert.equal(session.bufferType(), 'alternate');
	assert.equal(session.cursorVisible, false);
	session.press('ccc');
	await session.waitFor((s) => s.text().includes('Connections 3 active'), 10_000);
	assert.equal(connectionRows(session).length, 3, session.text());
	const children = await findDescendants(session.pid);
	assert.ok(children.length > 0, 'the test clients run in a child process');
	session.press('q');
	const exit = await session.waitForExit();
	assert.equal(exit.exitCode, 0);
	assert.equal(session.bufferType(), 'normal', 'the main screen is back');
	assert.equal(session.cursorVisible, true, 'the cursor is shown again');
	await waitFor(
		() => children.every((pid) => !isAlive(pid)),
		'every child process to be gone',
		3000,
	);
});

test('the first frame already shows real figures: threads, processes, RSS and CPU, the machine', async (t) => {
	const session = spawnNode(CLI, ['--port', '0'], {
		cols: 80,
		rows: 24,
		env: {TERM: 'xterm-256color', LANG: 'C.UTF-8'},
	});
	t.after(() => session.dispose());
	// The first frame is written whole; the next comes a tick (1 s) later.
	await session.waitFor((s) => s.text().includes('q quit'), 10_000);
	const text = session.text();
	// OS threads and processes share a line, as the threads' states take one (issue 25).
	assert.match(text, /OS thr\/procs\s+\d+\/\d+│/, text);
	assert.match(text, /\d+ (in )?(recv|poll|lock)\b/, text);
	assert.match(text, /rss cpu\s+\d+(\.\d+)?[KMG] \d+%│/, text);
	const host = /host cpu \d+% mem (\S+)\/(\S+)/.exec(text);
	assert.ok(host, `the machine's figures on the first frame:\n${text}`);
	const total = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
	assert.equal(host[2], formatBytes(total * 1024), "the machine's memory as the kernel has it");
});

test('a dropped SSH session (SIGHUP) ends the dashboard and every child, and frees the port', async (t) => {
	const session = await dashboard(t, ['--mode', 'sequential', '--clients', '3']);
	// One served by the blocking sequential worker, two in the kernel's accept queue.
	await session.waitFor(
		(s) =>
			s.text().includes('1 active · 0 queued · 2 in kernel queue') &&
			/accept\s+2\/6/.test(s.text()),
		10_000,
	);
	const port = Number(/127\.0\.0\.1:(\d+)/.exec(session.lines()[0]!)![1]);
	const children = await findDescendants(session.pid);
	session.kill('SIGHUP');
	const exit = await session.waitForExit();
	assert.equal(exit.exitCode, 129, 'the status a shell reports for a hang-up');
	await waitFor(
		() => children.every((pid) => !isAlive(pid)),
		'every child process to be gone',
		1000,
	);
	const {default: net} = await import('node:net');
	const probe = net.createServer();
	await new Promise<void>((resolve, reject) => {
		probe.once('error', reject);
		probe.listen(port, '127.0.0.1', resolve);
	});
	probe.close();
});

test('the connection list scrolls and sorts with the keys the help lists', async (t) => {
	const session = await dashboard(t, ['--clients', '30', '--rate', '20'], 80, 24);
	await session.waitFor((s) => s.text().includes('Connections 30 active'), 15_000);
	await session.waitFor((s) => /1-11 of 30 · 19 more below/.test(s.text()));
	const firstIds = () => connectionRows(session).map((line) => Number(/#(\d+)/.exec(line)![1]));
	const before = firstIds();
	assert.deepEqual(
		before,
		[...before].sort((a, b) => a - b),
		'arrival order',
	);
	session.press('j');
	await session.waitFor((s) => /2-12 of 30 · 1 above · 18 more below/.test(s.text()));
	session.press('G');
	await session.waitFor((s) => /20-30 of 30 · 19 above/.test(s.text()));
	session.press('g');
	await session.waitFor((s) => /1-11 of 30/.test(s.text()));
	session.press('sssss');
	await session.waitFor((s) => s.lines().some((line) => /MSGS▼/.test(line)));
	await session.waitFor(() => {
		const messages = connectionRows(session).map((line) => Number(line.trim().split(/\s+/).at(-4)));
		return (
			messages.length === 11 &&
			messages.every((value, index) => index === 0 || value <= messages[index - 1]!)
		);
	}, 5000);
	session.press('q');
	assert.equal((await session.waitForExit()).exitCode, 0);
});

test('resizing reflows at once; a small window shows what fits, too small says what it needs; nothing is drawn outside the window', async (t) => {
	const session = await dashboard(t, ['--clients', '2']);
	session.resize(120, 40);
	await session.waitFor(
		(s) => s.lines()[8]?.startsWith('╭─ Connections') === true && s.lines()[8]!.length === 120,
	);
	// The width the table cannot use goes to the event log beside it, not into the PEER column.
	assert.match(session.lines()[8]!, /^╭─ Connections .*╮╭─ Events ─+╮$/);
	assert.match(session.lines()[9]!, /^│ +ID▼ PEER {20,30}STATE/);
	session.resize(200, 50);
	await session.waitFor((s) => /╮╭─ Events ─{80,}╮$/.test(s.lines()[8] ?? ''));
	assert.match(session.lines()[9]!, /^│ +ID▼ PEER {20,30}STATE/);
	// Issue 27.13: at 60x20 what fits (as htop does), within the window; below 40x8 what it needs.
	session.resize(60, 20);
	await session.waitFor((s) => /╭─ Traffic ─+╮╭─ Concurrency ─+╮$/.test(s.lines()[1] ?? ''));
	assert.ok(session.lines().every((line) => line.length <= 60));
	session.resize(30, 6);
	await session.waitFor((s) => /needs 40x8\nthis window is 30x6/.test(s.text()));
	session.resize(80, 24);
	await session.waitFor((s) => s.lines()[23]?.startsWith('c/C add') === true);
	assert.equal(session.scrollback(), 0, 'nothing scrolled off the top');
	assert.ok(session.lines().every((line) => line.length <= 80));
	assert.equal(session.clear2J + session.clear3J, 0, 'no full-screen clear');
	session.press('q');
	assert.equal((await session.waitForExit()).exitCode, 0);
});
