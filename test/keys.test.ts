/**
 * Keys through a real terminal (node-pty): every press counts and shows at once, what a terminal sends
 * that is not a key (mouse, paste, replies) changes nothing, Ctrl-Z stops and `fg` comes back, and the
 * filter keeps on Enter and clears on Esc. Key-to-frame times are printed, not asserted.
 */
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test, type TestContext} from 'node:test';
import {fileURLToPath} from 'node:url';
import {sleep, waitFor} from './helpers/net.js';
import {spawnNode, type PtySession} from './helpers/pty.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const ESC = '\u001B';

async function dashboard(t: TestContext, args: string[]): Promise<PtySession> {
	const session = spawnNode(CLI, ['--port', '0', ...args], {
		cols: 80,
		rows: 24,
		env: {TERM: 'xterm-256color', LANG: 'C.UTF-8'},
	});
	t.after(() => session.dispose());
	await session.waitFor((s) => s.text().includes('Connections'), 15_000);
	return session;
}

/** Presses `keys` and returns how long until `shown` holds on screen. */
async function keyToFrame(
	session: PtySession,
	keys: string,
	shown: (s: PtySession) => boolean,
): Promise<number> {
	const began = performance.now();
	session.press(keys);
	await session.waitFor(shown, 10_000);
	return Math.round(performance.now() - began);
}

const rows = (session: PtySession) =>
	session.lines().filter((line) => /│\s+#\d+ 127\.0\.0\.1:\d+\s/.test(line));

test('every key press counts and shows at once: ten j scroll ten rows, c adds a client', async (t) => {
	const session = await dashboard(t, ['--clients', '30', '--rate', '5']);
	await session.waitFor((s) => /1-11 of 30 /.test(s.text()), 15_000);
	const scrolled = await keyToFrame(session, 'jjjjjjjjjj', (s) => /11-21 of 30 /.test(s.text()));
	const back = await keyToFrame(session, 'kkk', (s) => /8-18 of 30 /.test(s.text()));
	// The client's count and its connection's row come from two reports (clients and server): G
	// below goes to the end of the list as the screen has it, so wait for both.
	const added = await keyToFrame(
		session,
		'c',
		(s) => /clients 31\b/.test(s.text()) && / of 31 /.test(s.text()),
	);
	console.log(`key to frame: ten j ${scrolled} ms, three k ${back} ms, c ${added} ms (tick 1 s)`);
	await keyToFrame(session, 'G', (s) => /21-31 of 31 /.test(s.text()));
	await keyToFrame(session, 'kG', (s) => /21-31 of 31 /.test(s.text()));
	// From the bottom, one k is one row up (not from an offset beyond the end).
	await keyToFrame(session, 'k', (s) => /20-30 of 31 /.test(s.text()));
});

test('mouse reports, pastes and terminal replies are not keys; a lone ESC still is', async (t) => {
	const session = await dashboard(t, ['--mode', 'async', '--clients', '2']);
	await session.waitFor((s) => /Connections 2 active/.test(s.text()), 10_000);
	const status = () => session.lines()[0]!.replace(/clients.*/, '');
	const before = status();
	// Each of these, read a character at a time, switched models or added or dropped clients.
	session.press(`${ESC}[<64;20;5M${ESC}[<65;20;5M`);
	session.press(`${ESC}[<0;3;1M${ESC}[<0;3;1m`);
	session.press(`${ESC}[M 12`);
	session.press(`${ESC}[99;8x`);
	session.press(`${ESC}[200~1c2x3X${ESC}[201~`);
	session.press(`${ESC}]11;rgb:1c1c/2c2c/3c3c\u0007`);
	session.press(`${ESC}P1+r636f6c6f7273=323536${ESC}\\`);
	await sleep(1500);
	assert.equal(status(), before, session.text());
	assert.match(session.text(), /Connections 2 active/);
	assert.doesNotMatch(session.text(), /switching/);
	// A lone ESC is Escape: it closes the help (as any key does) and is not the start of a sequence.
	session.press('?');
	await session.waitFor('this help');
	const escaped = await keyToFrame(session, ESC, (s) => !s.text().includes('this help'));
	console.log(`key to frame: lone ESC ${escaped} ms`);
});

test('filter: Enter keeps it, Esc clears it; the state matches by prefix', async (t) => {
	const session = await dashboard(t, ['--mode', 'pool', '--pool-size', '1', '--clients', '3']);
	await session.waitFor((s) => /1 active · 2 queued/.test(s.text()), 10_000);
	session.press('/que');
	await session.waitFor((s) => rows(s).length === 2 && rows(s).every((l) => /queued/.test(l)));
	session.press('\r');
	await sleep(300);
	assert.equal(rows(session).length, 2, 'Enter keeps the filter');
	session.press('j');
	await sleep(300);
	assert.equal(rows(session).length, 2, 'after Enter, keys are keys again');
	await keyToFrame(session, ESC, (s) => rows(s).length === 3);
});

function processState(pid: number): string {
	return /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))![1]!;
}

for (const [how, stop] of [
	['Ctrl-Z', (session: PtySession) => session.press('\u001A')],
	['kill -TSTP', (session: PtySession) => process.kill(session.pid, 'SIGTSTP')],
] as const) {
	test(`${how}: the terminal is restored and the process stops; SIGCONT (fg) takes it back and redraws`, async (t) => {
		const session = await dashboard(t, ['--clients', '1']);
		await session.waitFor((s) => /Connections 1 active/.test(s.text()), 10_000);
		stop(session);
		await waitFor(() => processState(session.pid) === 'T', 'the process to stop', 5000);
		// Stopped, it writes nothing more, but what it wrote before stopping may still be in the pty on
		// its way to the emulator: wait for it to arrive rather than read the screen once.
		await session.waitFor((s) => !s.altScreen, 3000).catch(() => {});
		assert.equal(session.altScreen, false, 'main screen back');
		assert.equal(session.bufferType(), 'normal');
		assert.equal(session.cursorVisible, true, 'cursor shown');
		process.kill(session.pid, 'SIGCONT');
		await session.waitFor(
			(s) => s.altScreen && !s.cursorVisible && /Connections 1 active/.test(s.text()),
		);
		// Raw mode is back: a single key acts without Enter.
		await keyToFrame(session, 'c', (s) => /clients 2\b/.test(s.text()));
		session.press('q');
		assert.equal((await session.waitForExit()).exitCode, 0);
		assert.equal(session.cursorVisible, true);
	});
}

test('the threads view (t) scrolls with the same keys, and says what is above and below', async (t) => {
	const session = await dashboard(t, ['--mode', 'pool']);
	session.press('t');
	await session.waitFor((s) => /more threads below/.test(s.text()), 10_000);
	// Each OS thread of the server, by its tid (issue 25: the view lists them all with their states).
	const threadIds = (s: PtySession) =>
		s.lines().flatMap((line) => /^│ *\d+ +(\d+) +\S/.exec(line)?.[1] ?? []);
	const first = threadIds(session)[0];
	await keyToFrame(session, 'jj', (s) => /2 above/.test(s.text()));
	assert.notEqual(threadIds(session)[0], first, session.text());
	await keyToFrame(session, 'G', (s) => !/more threads below/.test(s.text()));
	await keyToFrame(session, 'g', (s) => !/above/.test(s.text()));
});
