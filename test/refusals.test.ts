/**
 * The dashboard in a real terminal against what clients do to it: a client's terminal escapes,
 * clients beyond the fd limit or --max-connections, and a crashed server process. Nothing here is
 * timed (hang-ups and signals, which are: hangups.test.ts). Processes are real; nothing is mocked.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import {test, type TestContext} from 'node:test';
import {sleep, waitFor} from './helpers/net.js';
import type {PtySession} from './helpers/pty.js';
import {connect, dashboard, workerDashboard} from './helpers/dashboard-pty.js';

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
