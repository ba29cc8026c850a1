import assert from 'node:assert/strict';
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {existsSync, mkdtempSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {once} from 'node:events';
import {createInterface} from 'node:readline';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import xterm from '@xterm/headless';
import pty from 'node-pty';
import type {ClientsView} from '../source/clients/meter.js';
import {sleep, startEchoServer, waitFor} from './helpers/net.js';
import {parseExposition} from './helpers/prometheus.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

/** A private runtime folder, so that `attach` with no target sees only this test's serve. */
function runtimeEnv(): Record<string, string> {
	const env: Record<string, string> = {TERM: 'xterm-256color', LANG: 'C.UTF-8'};
	for (const [name, value] of Object.entries(process.env)) {
		if (value !== undefined && name !== 'CI' && name !== 'CONTINUOUS_INTEGRATION')
			env[name] ??= value;
	}
	env.XDG_RUNTIME_DIR = mkdtempSync(path.join(os.tmpdir(), 'ct-run-'));
	return env;
}

function run(args: string[], env: NodeJS.ProcessEnv = process.env) {
	return spawnSync(process.execPath, [CLI, ...args], {encoding: 'utf8', timeout: 10_000, env});
}

/** Lines of a child's stream, as they come. */
function lines(stream: NodeJS.ReadableStream): string[] {
	const seen: string[] = [];
	createInterface({input: stream}).on('line', (line) => seen.push(line));
	return seen;
}

async function stop(child: ChildProcess): Promise<number | null> {
	if (child.exitCode !== null) return child.exitCode;
	const exited = once(child, 'exit');
	child.kill('SIGTERM');
	const [code] = (await exited) as [number | null];
	return code;
}

test('attach with nothing running: one line, and a non-zero status', () => {
	const env = runtimeEnv();
	const none = run(['attach'], env);
	assert.equal(none.status, 2, none.stderr);
	assert.match(none.stderr, /^concurrency-top: no concurrency-top serve is running for this user/);
	assert.equal(none.stderr.trim().split('\n').length, 1);
	const missing = run(['attach', path.join(env.XDG_RUNTIME_DIR!, 'gone.sock')], env);
	assert.equal(missing.status, 1, missing.stderr);
	assert.match(missing.stderr, /^concurrency-top: nothing is listening at \S+gone\.sock/);
	assert.equal(missing.stderr.trim().split('\n').length, 1);
	const port = run(['attach', '127.0.0.1:1'], env);
	assert.equal(port.status, 1);
	assert.match(port.stderr, /^concurrency-top: nothing is listening at 127\.0\.0\.1:1:/);
});

for (const [args, message] of [
	[['--metrics-port', '0', '--metrics-host', '0.0.0.0'], /--metrics-allow-remote/],
	[['serve', '--control-port', '0', '--control-host', '0.0.0.0'], /--control-allow-remote/],
	[
		['serve', '--control-port', '0', '--control-host', '0.0.0.0', '--control-allow-remote'],
		/needs a shared token/,
	],
	[['clients'], /clients needs --target HOST:PORT/],
	[['clients', '--target', 'nowhere'], /--target must be HOST:PORT/],
	[['attach', 'a', 'b'], /unexpected argument "b"/],
] as const) {
	test(`${args.join(' ')}: refused with one line, status 2`, () => {
		const result = run([...args]);
		assert.equal(result.status, 2, result.stderr);
		assert.match(result.stderr, message);
		assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
	});
}

test('serve, then attach in a real terminal: keys drive the server; quitting leaves it running', async () => {
	const env = runtimeEnv();
	const serve = spawn(
		process.execPath,
		[CLI, 'serve', '--port', '0', '--metrics-port', '0', '--rate', '20'],
		{env, stdio: ['ignore', 'ignore', 'pipe']},
	);
	const log = lines(serve.stderr!);
	const terminal = new xterm.Terminal({cols: 80, rows: 24, allowProposedApi: true});
	let attach: pty.IPty | undefined;
	try {
		const socketPath = await waitFor(
			() => log.map((line) => / attach (\S+\.sock)$/.exec(line)?.[1]).find(Boolean),
			'serve to listen for observers',
			10_000,
		);
		const metricsUrl = log.map((line) => /metrics on (\S+)$/.exec(line)?.[1]).find(Boolean)!;
		assert.ok(metricsUrl, log.join('\n'));

		attach = pty.spawn(process.execPath, [CLI, 'attach'], {cols: 80, rows: 24, env});
		attach.onData((data) => terminal.write(data));
		const exited = new Promise<number>((resolve) =>
			attach!.onExit(({exitCode}) => resolve(exitCode)),
		);
		const screen = () => {
			const buffer = terminal.buffer.active;
			return Array.from(
				{length: terminal.rows},
				(_, row) => buffer.getLine(buffer.viewportY + row)?.translateToString(true) ?? '',
			).join('\n');
		};
		await waitFor(() => screen().includes('Connections 0 active'), 'the first frame', 10_000);
		// In attach, q detaches (the server runs on): the bottom line says so (issue 27, point 11).
		await waitFor(() => /\bq detach\b/.test(screen()), 'the bottom line', 10_000);
		assert.doesNotMatch(screen(), /q quit/);
		attach.write('c');
		attach.write('c');
		await waitFor(
			() => screen().includes('Connections 2 active'),
			'two clients added remotely',
			10_000,
		);
		attach.write('1');
		await waitFor(() => screen().includes('sequential'), 'the model switched remotely', 10_000);

		const samples = parseExposition(await (await fetch(metricsUrl)).text()).samples;
		// Each client in one state: their sum is the two clients.
		const clients = samples.filter((sample) => sample.name === 'concurrency_top_test_clients');
		assert.equal(
			clients.reduce((sum, sample) => sum + sample.value, 0),
			2,
		);
		assert.equal(
			samples.find((sample) => sample.name === 'concurrency_top_info')?.labels.model,
			'sequential',
		);

		attach.write('q');
		assert.equal(await exited, 0);
		assert.equal(serve.exitCode, null, 'serve runs on after attach quits');
		assert.ok(existsSync(socketPath));
		await waitFor(
			() => log.some((line) => /observer 1 \(uid \d+ pid \d+\) left/.test(line)),
			'serve to see it leave',
		);
		assert.equal(await stop(serve), 0);
		assert.ok(!existsSync(socketPath), 'serve removes its socket');
	} finally {
		attach?.kill();
		terminal.dispose();
		await stop(serve);
	}
});

test('clients --target loads a plain echo server and reports what it measured', async () => {
	const echo = await startEchoServer();
	const {port, sockets} = echo;
	const child = spawn(
		process.execPath,
		[CLI, 'clients', '--target', `127.0.0.1:${port}`, '--clients', '4', '--rate', '20', '--json'],
		{stdio: ['ignore', 'pipe', 'pipe']},
	);
	const out = lines(child.stdout!);
	try {
		// The second period with all four answered: the first one also covers the clients' start.
		const view = await waitFor(
			() =>
				out
					.map((line) => JSON.parse(line) as ClientsView)
					.filter((view) => view.clients.connected === 4 && view.rtt.samples >= 20)[1],
			'four clients answered for a whole second',
			10_000,
		);
		assert.equal(view.target, `127.0.0.1:${port}`);
		assert.equal(view.clients.total, 4);
		assert.equal(view.clients.waiting, 0);
		assert.equal(echo.accepted(), 4, 'the server saw four connections');
		// 4 clients × 20 messages/s, less what the round trips cost.
		assert.ok(view.messagesPerSec > 40 && view.messagesPerSec <= 90, String(view.messagesPerSec));
		assert.ok(view.rtt.p50Ms! > 0 && view.rtt.p50Ms! <= view.rtt.p99Ms!);
		assert.equal(view.firstReply.samples, 4);
		assert.ok(view.firstReply.maxMs! >= view.firstReply.p50Ms!);
		assert.equal(await stop(child), 0);
		await waitFor(() => sockets.size === 0, 'the clients closed their connections');
	} finally {
		await stop(child);
		echo.close();
	}
});

test('--json --metrics-port 0: the address on stderr, and the dashboard figures at /metrics', async () => {
	const child = spawn(process.execPath, [CLI, '--json', '--port', '0', '--metrics-port', '0'], {
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const err = lines(child.stderr!);
	const out = lines(child.stdout!);
	try {
		const url = await waitFor(
			() => err.map((line) => /metrics on (\S+)$/.exec(line)?.[1]).find(Boolean),
			'the metrics address',
			10_000,
		);
		await waitFor(() => out.length > 0, 'a JSON line');
		const json = JSON.parse(out[0]!) as {port: number; mode: string};
		const samples = parseExposition(await (await fetch(url)).text()).samples;
		assert.equal(
			samples.find((sample) => sample.name === 'concurrency_top_info')?.labels.model,
			json.mode,
		);
		assert.equal(await stop(child), 0);
	} finally {
		await stop(child);
	}
});

test('serve --json on a loopback control port; attach HOST:PORT --json sees the same server', async () => {
	const serve = spawn(
		process.execPath,
		[CLI, 'serve', '--json', '--port', '0', '--control-port', '0', '--clients', '1'],
		{stdio: ['ignore', 'pipe', 'pipe']},
	);
	const log = lines(serve.stderr!);
	const served = lines(serve.stdout!);
	let attach: ChildProcess | undefined;
	try {
		const target = await waitFor(
			() => log.map((line) => / attach (127\.0\.0\.1:\d+)$/.exec(line)?.[1]).find(Boolean),
			'the control port',
			10_000,
		);
		await waitFor(() => served.length > 0, 'a JSON line from serve');
		const port = (JSON.parse(served[0]!) as {port: number}).port;
		attach = spawn(process.execPath, [CLI, 'attach', target, '--json'], {
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		const seen = lines(attach.stdout!);
		await waitFor(() => seen.length > 0, 'a JSON line from attach', 10_000);
		const remote = JSON.parse(seen[0]!) as {port: number; clients: {total: number}};
		assert.equal(remote.port, port);
		assert.equal(remote.clients.total, 1);
		assert.equal(await stop(attach), 0);
		await sleep(300);
		assert.equal(serve.exitCode, null, 'serve runs on');
		assert.equal(await stop(serve), 0);
	} finally {
		if (attach) await stop(attach);
		await stop(serve);
	}
});
