/**
 * The dashboard in a real terminal against what users and clients do to it: a client's terminal
 * escapes, clients beyond the fd limit, a crashed server process, and hang-ups and signals in every
 * model. Processes are real; nothing is mocked.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import {test, type TestContext} from 'node:test';
import {fileURLToPath} from 'node:url';
import {findDescendants} from '../source/collectors/proc.js';
import {MODE_NAMES} from '../source/server/mode.js';
import {sleep, waitFor} from './helpers/net.js';
import {PtySession} from './helpers/pty.js';
import {isAlive} from './helpers/servers.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const ENV = {
	CI: undefined,
	CONTINUOUS_INTEGRATION: undefined,
	TERM: 'xterm-256color',
	LANG: 'C.UTF-8',
};

/**
 * The dashboard in a pty, optionally under a lower `ulimit -n`, drawn and listening. With
 * `underShell`, a shell stays the session leader, as when it is run from an interactive shell: the
 * dashboard's exit then sends its process group no SIGHUP to clean up after it.
 */
async function dashboard(
	t: TestContext,
	args: string[],
	ulimit?: number,
	underShell = false,
): Promise<{session: PtySession; port: number}> {
	const command = [process.execPath, CLI, '--port', '0', ...args]
		.map((word) => `'${word}'`)
		.join(' ');
	const session = new PtySession(
		'bash',
		[
			'-c',
			`${ulimit === undefined ? '' : `ulimit -n ${ulimit}; `}${underShell ? `${command}; exit $?` : `exec ${command}`}`,
		],
		{cols: 100, rows: 30, env: ENV},
	);
	t.after(() => session.dispose());
	// The first frame: clients given with --clients may already be connected when it is drawn.
	await session.waitFor((s) => /Connections \d+ active/.test(s.text()), 15_000);
	const port = Number(/127\.0\.0\.1:(\d+)/.exec(session.text())![1]);
	return {session, port};
}

async function portIsFree(port: number): Promise<boolean> {
	const probe = net.createServer();
	try {
		await new Promise<void>((resolve, reject) => {
			probe.once('error', reject);
			probe.listen(port, '127.0.0.1', resolve);
		});
		return true;
	} catch {
		return false;
	} finally {
		probe.close();
	}
}

function connect(port: number): Promise<net.Socket> {
	return new Promise((resolve, reject) => {
		const socket = net.connect({host: '127.0.0.1', port});
		socket.once('connect', () => resolve(socket));
		socket.once('error', reject);
	});
}

test("a client's terminal escapes never reach the dashboard's terminal", async (t) => {
	const {session, port} = await dashboard(t, ['--mode', 'async']);
	const attack = '\x1b]0;pwned\x07\x1b[2J\x1b[H\x1b]52;c;cHduZWQ=\x07\x1bP+q544e\x1b\\\x9b31m';
	const socket = await connect(port);
	socket.on('error', () => {});
	let echoed = '';
	socket.setEncoding('latin1');
	socket.on('data', (text: string) => {
		echoed += text;
	});
	// As data, and as text shaped like the things the dashboard does show: lines, a peer-like string.
	socket.write(`${attack}\n127.0.0.1:1 ${attack} closed\n`);
	await waitFor(() => echoed.length >= attack.length * 2, 'the echo');
	await session.waitFor((s) => s.text().includes('Connections 1 active'), 10_000);
	await sleep(1500);
	socket.destroy();
	await session.waitFor((s) => s.text().includes('Connections 0 active'), 10_000);
	assert.ok(!session.output.includes('pwned'), 'no OSC title from the client');
	assert.ok(!session.output.includes('cHduZWQ'), 'no OSC 52 clipboard write from the client');
	assert.ok(!session.output.includes('544e'), 'no DCS from the client');
	assert.equal(session.bufferType(), 'alternate');
	session.press('q');
	assert.equal((await session.waitForExit()).exitCode, 0);
});

for (const [mode, flood] of [
	['async', 600],
	['thread', 110],
] as const) {
	test(`${mode} under ulimit -n 512: clients beyond the fd limit are refused, the screen says why, and keeps updating`, async (t) => {
		// The flood must reach the server to meet the fd limit: the deep backlog, not the tutorial's
		// (5, or asyncio's 100), whose overflow would wait for SYN retries instead.
		const {session, port} = await dashboard(t, ['--mode', mode, '--backlog', '4096'], 512);
		await refusedAndStillWorking(t, session, port, flood, /refusing: ulimit -n 512/);
	});
}

for (const mode of ['thread', 'process'] as const) {
	test(`${mode} at --max-connections 6: further clients are refused, the screen says why, and keeps updating`, async (t) => {
		const {session, port} = await dashboard(t, ['--mode', mode, '--max-connections', '6']);
		await refusedAndStillWorking(t, session, port, 10, /limit 6: refusing \(\d+\)/);
	});
}

/** Floods the server with `flood` connections beyond a first one, then checks refusal, the screen and the first client. */
async function refusedAndStillWorking(
	t: TestContext,
	session: PtySession,
	port: number,
	flood: number,
	refusing: RegExp,
): Promise<void> {
	const first = await connect(port);
	first.on('error', () => {});
	const sockets: net.Socket[] = [first];
	t.after(() => {
		for (const socket of sockets) socket.destroy();
	});
	await session.waitFor((s) => s.text().includes('Connections 1 active'), 15_000);
	for (let i = 0; i < flood; i++) {
		const socket = net.connect({host: '127.0.0.1', port});
		socket.on('error', () => {});
		sockets.push(socket);
	}
	await session.waitFor((s) => refusing.test(s.text()), 60_000);
	// Still drawing from /proc: the figures follow the connections down, and no reading failed.
	for (const socket of sockets.slice(1)) socket.destroy();
	await session.waitFor((s) => s.text().includes('Connections 1 active'), 30_000);
	assert.doesNotMatch(session.output, /EMFILE|collector:/);
	const reply = await new Promise<string>((resolve) => {
		first.once('data', (data) => resolve(data.toString()));
		first.write('still served\n');
	});
	assert.equal(reply, 'still served\n');
	session.press('q');
	assert.equal((await session.waitForExit(10_000)).exitCode, 0);
}

test('worker placement: a crashed server process shows on screen with the offer to restart; R restarts it', async (t) => {
	const {session, port, server} = await workerDashboard(t, ['--mode', 'thread']);
	process.kill(server, 'SIGKILL');
	await session.waitFor(
		(s) =>
			s.text().includes('server process down') &&
			s.text().includes('R restarts it') &&
			!/│server\s+\d+ own proc/.test(s.text()),
		10_000,
	);
	session.press('R');
	await session.waitFor((s) => /│server\s+\d+ own proc/.test(s.text()), 15_000);
	const socket = await connect(port);
	const reply = await new Promise<string>((resolve) => {
		socket.once('data', (data) => resolve(data.toString()));
		socket.write('back\n');
	});
	assert.equal(reply, 'back\n');
	socket.destroy();
	session.press('q');
	assert.equal((await session.waitForExit()).exitCode, 0);
});

/** The dashboard with its server in a process of its own, and that process's pid, from the screen. */
async function workerDashboard(
	t: TestContext,
	args: string[],
): Promise<{session: PtySession; port: number; server: number; descendants: number[]}> {
	const {session, port} = await dashboard(t, ['--placement', 'worker', ...args], undefined, true);
	await session.waitFor((s) => /│server\s+\d+ own proc/.test(s.text()), 10_000);
	const descendants = await findDescendants(session.pid);
	const server = descendants.find((pid) =>
		new RegExp(`│server\\s+${pid} own proc`).test(session.text()),
	);
	assert.ok(server !== undefined, `server pid on screen among ${descendants.join(' ')}`);
	return {session, port, server, descendants};
}

for (const [state, hold] of [
	[
		'busy (--work-ms 1000, 30 lines waiting)',
		async (port: number) => {
			const socket = await connect(port);
			socket.on('error', () => {});
			socket.write('x\n'.repeat(30));
			await sleep(500);
		},
	],
	['stopped (SIGSTOP)', async (_port: number, server: number) => process.kill(server, 'SIGSTOP')],
] as const) {
	test(`worker placement: q with the server process ${state} kills it at the deadline; nothing outlives the dashboard, the port is free within 2 s`, async (t) => {
		const {session, port, server, descendants} = await workerDashboard(t, ['--work-ms', '1000']);
		t.after(() => {
			for (const pid of descendants) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
		});
		await hold(port, server);
		const started = Date.now();
		session.press('q');
		assert.equal((await session.waitForExit(5000)).exitCode, 0);
		await waitFor(
			() => descendants.every((pid) => !isAlive(pid)),
			() => `no survivor among ${descendants.filter((pid) => isAlive(pid)).join(' ')}`,
			Math.max(0, 2000 - (Date.now() - started)),
		);
		assert.ok(await portIsFree(port), `port ${port} is free`);
		assert.ok(Date.now() - started <= 2000, `ended in ${Date.now() - started} ms`);
	});
}

/** Every descendant gone, the port free and the terminal restored, within a second of `end`. */
async function endsCleanly(
	t: TestContext,
	args: string[],
	end: (session: PtySession) => void,
	expectedExit: number,
) {
	const {session, port} = await dashboard(t, ['--clients', '3', ...args]);
	await session.waitFor((s) => /Connections [1-3] active/.test(s.text()), 20_000);
	const descendants = await findDescendants(session.pid);
	assert.ok(descendants.length > 0, 'there are children to leave behind');
	const started = Date.now();
	end(session);
	const exit = await session.waitForExit(5000);
	assert.equal(exit.exitCode, expectedExit);
	await waitFor(
		() => descendants.every((pid) => !isAlive(pid)),
		`no orphan of ${descendants.join(' ')}`,
		Math.max(0, 1000 - (Date.now() - started)),
	);
	assert.ok(await portIsFree(port), `port ${port} is free`);
	assert.ok(Date.now() - started <= 1500, `ended in ${Date.now() - started} ms`);
	assert.equal(session.bufferType(), 'normal', 'the main screen is back');
	assert.equal(session.cursorVisible, true, 'the cursor is shown again');
}

for (const mode of MODE_NAMES) {
	test(`${mode}: SIGHUP (the SSH session dropped) leaves no process behind, frees the port, within a second`, async (t) => {
		await endsCleanly(t, ['--mode', mode], (session) => session.kill('SIGHUP'), 129);
	});
}

for (const [name, end, code] of [
	['SIGTERM', (session: PtySession) => session.kill('SIGTERM'), 0],
	['SIGINT', (session: PtySession) => session.kill('SIGINT'), 0],
	['q', (session: PtySession) => session.press('q'), 0],
] as const) {
	test(`worker placement, process model: ${name} leaves no process behind, frees the port, within a second`, async (t) => {
		await endsCleanly(t, ['--mode', 'process', '--placement', 'worker'], end, code);
	});
}
