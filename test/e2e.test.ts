import assert from 'node:assert/strict';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import pty from 'node-pty';
import xterm from '@xterm/headless';
import {findDescendants} from '../source/collectors/proc.js';
import {waitFor} from './helpers/net.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

/** Ink draws nothing until exit when it thinks it runs in CI (the CI variable): a person's terminal has no such variable. */
function interactiveEnv(): Record<string, string> {
	const env: Record<string, string> = {TERM: 'xterm-256color', LANG: 'C.UTF-8'};
	for (const [name, value] of Object.entries(process.env)) {
		if (value !== undefined && name !== 'CI' && name !== 'CONTINUOUS_INTEGRATION')
			env[name] ??= value;
	}
	return env;
}

test('in a real terminal: c three times shows three connections, q exits 0 and leaves no child', async () => {
	const terminal = new xterm.Terminal({cols: 80, rows: 24, allowProposedApi: true});
	const child = pty.spawn(process.execPath, [CLI, '--port', '0'], {
		cols: 80,
		rows: 24,
		env: interactiveEnv(),
	});
	child.onData((data) => terminal.write(data));
	const exited = new Promise<number>((resolve) => child.onExit(({exitCode}) => resolve(exitCode)));
	const screen = () => {
		const buffer = terminal.buffer.active;
		return Array.from(
			{length: terminal.rows},
			(_, row) => buffer.getLine(buffer.viewportY + row)?.translateToString(true) ?? '',
		).join('\n');
	};
	try {
		await waitFor(() => screen().includes('Connections 0 active'), 'the first frame', 10_000);
		for (let i = 0; i < 3; i++) child.write('c');
		await waitFor(
			() => screen().includes('Connections 3 active'),
			'three connections on screen',
			10_000,
		);
		const rows = screen()
			.split('\n')
			.filter((line) => /│\s+#\d+ 127\.0\.0\.1:\d+\s+active/.test(line));
		assert.equal(rows.length, 3, screen());
		const children = await findDescendants(child.pid);
		assert.ok(children.length > 0, 'the test clients run in a child process');
		child.write('q');
		assert.equal(await exited, 0);
		await waitFor(
			() => children.every((pid) => !isAlive(pid)),
			'every child process to be gone',
			3000,
		);
	} finally {
		if (isAlive(child.pid)) child.kill('SIGKILL');
		terminal.dispose();
	}
});
