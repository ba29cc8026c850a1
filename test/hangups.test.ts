/**
 * The dashboard in a real terminal against hang-ups and signals, in every model: it ends within a
 * second (or at its deadline) and leaves no process behind. Processes are real; nothing is mocked.
 * Timed, so run alone (test/layers.mjs); what users and clients do to it otherwise, untimed:
 * refusals.test.ts.
 */
import assert from 'node:assert/strict';
import {test, type TestContext} from 'node:test';
import {findDescendants} from '../source/collectors/proc.js';
import {MODE_NAMES} from '../source/server/mode.js';
import {sleep, waitFor} from './helpers/net.js';
import type {PtySession} from './helpers/pty.js';
import {isAlive} from './helpers/servers.js';
import {connect, dashboard, portIsFree, workerDashboard} from './helpers/dashboard-pty.js';

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
