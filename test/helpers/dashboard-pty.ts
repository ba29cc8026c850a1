/**
 * The dashboard in a real terminal (node-pty under bash), for hangups.test.ts and refusals.test.ts.
 */
import net from 'node:net';
import type {TestContext} from 'node:test';
import assert from 'node:assert/strict';
import {fileURLToPath} from 'node:url';
import {findDescendants} from '../../source/collectors/proc.js';
import {PtySession} from './pty.js';

const CLI = fileURLToPath(new URL('../../cli.js', import.meta.url));
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
export async function dashboard(
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

export async function portIsFree(port: number): Promise<boolean> {
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

export function connect(port: number): Promise<net.Socket> {
	return new Promise((resolve, reject) => {
		const socket = net.connect({host: '127.0.0.1', port});
		socket.once('connect', () => resolve(socket));
		socket.once('error', reject);
	});
}

/** The dashboard with its server in a process of its own, and that process's pid, from the screen. */
export async function workerDashboard(
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
