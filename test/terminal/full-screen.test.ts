import assert from 'node:assert/strict';
import {fileURLToPath} from 'node:url';
import {test, type TestContext} from 'node:test';
import {PtySession, type PtyOptions} from '../helpers/pty.js';
import {isAlive} from '../helpers/servers.js';

const fixture = fileURLToPath(new URL('../fixtures/table-app.js', import.meta.url));

/** The fixture in a pty, behind a shell line printed first, so a restored main screen is recognisable. */
async function start(
	t: TestContext,
	args: readonly string[] = [],
	options: PtyOptions = {},
): Promise<{session: PtySession; child: number}> {
	const quoted = [fixture, ...args].map((arg) => `'${arg}'`).join(' ');
	const session = new PtySession(
		'/bin/sh',
		['-c', `echo before-app; exec '${process.execPath}' ${quoted}`],
		options,
	);
	let child = 0;
	t.after(async () => {
		await session.dispose();
		if (child > 0 && isAlive(child)) process.kill(child, 'SIGKILL');
	});
	await session.waitFor((s) => /child=(\d+)/.test(s.text()));
	child = Number(/child=(\d+)/.exec(session.text())![1]);
	return {session, child};
}

/** The fixture's screen at this size is whole: header with the size, table rows, footer at the bottom. */
function assertFullScreen(session: PtySession): void {
	const lines = session.lines();
	const {cols, rows} = session;
	assert.equal(lines.length, rows);
	assert.match(lines[0]!, new RegExp(`^fixture ${cols}x${rows} child=\\d+ tick=\\d+`));
	for (let i = 1; i < rows - 1; i++) {
		assert.match(
			lines[i]!,
			new RegExp(`^row +${i} +\\d+ msg/s +\\d+ conns$`),
			`line ${i} at ${cols}x${rows}:\n${lines.join('\n')}`,
		);
	}
	const footer = lines[rows - 1]!;
	assert.equal(footer.length, cols, 'footer reaches the last column');
	assert.ok(footer.startsWith('footer: q quits'));
	assert.ok(footer.endsWith('#'));
	for (const line of lines) assert.ok(line.length <= cols);
}

/** After exit: main screen back with only what was there before, cursor shown, child stopped. */
async function assertRestored(session: PtySession, child: number): Promise<void> {
	assert.equal(session.altScreen, false, 'alternate screen left');
	assert.equal(session.bufferType(), 'normal');
	assert.equal(session.cursorVisible, true, 'cursor shown');
	assert.deepEqual(
		session.lines().filter((line) => line !== ''),
		['before-app'],
		'main screen as before, no stray output',
	);
	assert.equal(session.scrollback(), 0);
	const deadline = Date.now() + 2000;
	while (isAlive(child) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
	assert.equal(isAlive(child), false, 'cleanup stopped the child process');
}

test('starts full screen: alternate screen, cursor hidden, whole window drawn', async (t) => {
	const {session} = await start(t);
	assert.equal(session.altScreen, true);
	assert.equal(session.bufferType(), 'alternate');
	assert.equal(session.cursorVisible, false);
	assertFullScreen(session);
});

test('steady state rewrites only changes and never clears the screen', async (t) => {
	const {session} = await start(t);
	await session.waitFor('tick=4');
	session.resetCounters();
	const before = session.lines()[1];
	await session.waitFor('tick=12', 5000);
	await session.settled();
	assert.equal(session.clear2J + session.clear3J, 0, 'no full clears');
	assert.notEqual(session.lines()[1], before, 'the table changed');
	assertFullScreen(session);
	// 2 s of a 4 Hz header and 1 Hz table at 80x24: a full redraw would be about 2 KB per frame.
	const perSecond = (session.bytes * 1000) / session.elapsedMs();
	assert.ok(perSecond < 1500, `wrote ${Math.round(perSecond)} B/s`);
});

test('writes nothing at all when nothing changes', async (t) => {
	const {session} = await start(t, ['--tick=100000']);
	await new Promise((r) => setTimeout(r, 300));
	session.resetCounters();
	await new Promise((r) => setTimeout(r, 1200));
	assert.equal(session.bytes, 0);
});

test('caps the frame rate: 100 updates/s reach the terminal as at most 10 frames/s', async (t) => {
	const {session} = await start(t, ['--tick=10']);
	// At 10 frames/s not every tick is shown: wait for any from the 20th on.
	await session.waitFor((s) => Number(/tick=(\d+)/.exec(s.text())?.[1] ?? 0) >= 20);
	const from = session.output.length;
	await new Promise((r) => setTimeout(r, 2000));
	// Each frame moves to the tick digits in row 1 once.
	// eslint-disable-next-line no-control-regex
	const frames = session.output.slice(from).match(/\u001B\[1;\d+H/g)?.length ?? 0;
	assert.ok(frames >= 10 && frames <= 22, `${frames} frames in 2 s`);
});

test('redraws the whole window at once after a resize, larger and smaller', async (t) => {
	// No header ticks: a tick frame drawn just before the resize but read just after it would look
	// like a stale frame. Every frame after the resize is then one the resize caused.
	const {session} = await start(t, ['--tick=100000']);
	for (const [cols, rows] of [
		[120, 40],
		[60, 12],
		[200, 50],
		[80, 24],
	] as const) {
		const stale = `fixture ${session.cols}x${session.rows}`;
		const from = session.output.length;
		session.resize(cols, rows);
		await session.waitFor(`fixture ${cols}x${rows}`, 2000);
		await new Promise((r) => setTimeout(r, 150));
		await session.settled();
		assertFullScreen(session);
		// One redraw with the new layout, not first a frame laid out for the old size.
		assert.ok(!session.output.slice(from).includes(stale), `stale frame drawn at ${cols}x${rows}`);
	}
	assert.equal(session.scrollback(), 0);
});

test('draws nothing outside the window when the frame is larger than it', async (t) => {
	const {session} = await start(t, ['--overflow'], {cols: 50, rows: 10});
	const lines = session.lines();
	assert.match(lines[0]!, /^fixture 50x10 /, 'top line not scrolled away');
	for (let i = 1; i < 10; i++) {
		assert.equal(lines[i], `row ${String(i).padStart(3)} `.padEnd(50, '.'), `line ${i} clipped`);
	}
	assert.equal(session.clear2J + session.clear3J, 0);
	session.press('q');
	await session.waitForExit();
	assert.equal(session.scrollback(), 0, 'nothing scrolled into the scrollback');
});

test('q: terminal restored, exit 0, cleanup ran', async (t) => {
	const {session, child} = await start(t);
	session.press('q');
	const exit = await session.waitForExit();
	assert.deepEqual(exit, {exitCode: 0, signal: undefined});
	await assertRestored(session, child);
});

test('Ctrl-C: terminal restored, exit 0', async (t) => {
	const {session, child} = await start(t);
	session.press('\u0003');
	assert.equal((await session.waitForExit()).exitCode, 0);
	await assertRestored(session, child);
});

for (const [signal, code] of [
	['SIGTERM', 0],
	['SIGINT', 0],
	['SIGHUP', 129],
] as const) {
	test(`${signal}: terminal restored, exit ${code}, cleanup ran`, async (t) => {
		const {session, child} = await start(t);
		process.kill(session.pid, signal);
		const exit = await session.waitForExit();
		assert.deepEqual(exit, {exitCode: code, signal: undefined});
		await assertRestored(session, child);
	});
}

test('a dropped connection (terminal closed, SIGHUP): process and child are gone', async (t) => {
	const {session, child} = await start(t);
	const pid = session.pid;
	session.hangUp();
	const deadline = Date.now() + 3000;
	while ((isAlive(pid) || isAlive(child)) && Date.now() < deadline) {
		await new Promise((r) => setTimeout(r, 20));
	}
	assert.equal(isAlive(pid), false, 'dashboard exited');
	assert.equal(isAlive(child), false, 'cleanup stopped the child');
});

for (const [flag, message] of [
	['--crash=1500', 'fixture crash'],
	['--reject=1500', 'fixture rejection'],
] as const) {
	test(`${flag}: terminal restored, error shown on the main screen, exit 1`, async (t) => {
		const {session, child} = await start(t, [flag]);
		const exit = await session.waitForExit();
		assert.equal(exit.exitCode, 1);
		assert.equal(session.altScreen, false);
		assert.equal(session.cursorVisible, true);
		assert.ok(session.text().includes(message), session.text());
		const deadline = Date.now() + 2000;
		while (isAlive(child) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
		assert.equal(isAlive(child), false);
	});
}

test('a slow cleanup is cut off at its deadline', async (t) => {
	const {session} = await start(t, ['--cleanup-ms=10000']);
	const began = Date.now();
	session.press('q');
	const exit = await session.waitForExit(5000);
	const took = Date.now() - began;
	assert.equal(exit.exitCode, 0);
	assert.ok(took >= 900 && took < 2500, `exited after ${took} ms`);
	assert.equal(session.cursorVisible, true);
});

// eslint-disable-next-line no-control-regex
const sgrPattern = /\u001B\[([\d;]*)m/g;
const sgrSequences = (text: string): string[] => [...text.matchAll(sgrPattern)].map((m) => m[1]!);
const hasColour = (parameters: string): boolean =>
	parameters.split(';').some((p) => /^(3[0-9]|4[0-9]|9[0-7]|10[0-7])$/.test(p));

test('NO_COLOR and --no-color give monochrome output; colour otherwise', async (t) => {
	const coloured = await start(t);
	assert.ok(sgrSequences(coloured.session.output).some(hasColour), 'colour by default');
	for (const [args, env] of [
		[[], {NO_COLOR: '1'}],
		[['--no-color'], {}],
	] as const) {
		const {session} = await start(t, args, {env});
		await session.waitFor('tick=5');
		const sequences = sgrSequences(session.output);
		assert.ok(sequences.length > 0, 'bold/inverse still there');
		assert.deepEqual(sequences.filter(hasColour), []);
	}
});
