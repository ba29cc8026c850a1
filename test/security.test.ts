/**
 * Issue 10, "safe to run on a shared server": what a second local user, a hostile observer or a
 * flood of connections could do. The attacker's files are planted by this same user in temporary
 * folders: the checks are on mode, type and owner, so no second user is needed.
 */
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {once} from 'node:events';
import net from 'node:net';
import {
	chmodSync,
	lstatSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {test} from 'node:test';
import {RemoteSource} from '../source/remote/remote-source.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('fixtures/internal-error.js', import.meta.url));
const FLAG_TOKEN = 'flag-secret-0123456789';
const ENV_TOKEN = 'env-secret-9876543210';

const regularFiles = (directory: string) =>
	readdirSync(directory).filter((name) => lstatSync(path.join(directory, name)).isFile());

function crashWithPlantedFiles(env: NodeJS.ProcessEnv) {
	const victim = path.join(mkdtempSync(path.join(os.tmpdir(), 'ct-victim-')), 'precious');
	writeFileSync(victim, 'keep me\n');
	const run = spawnSync(process.execPath, [FIXTURE, 'serve', '--control-token', FLAG_TOKEN], {
		encoding: 'utf8',
		env: {
			...process.env,
			XDG_RUNTIME_DIR: '',
			CONCURRENCY_TOP_TOKEN: ENV_TOKEN,
			VICTIM: victim,
			...env,
		},
	});
	return {run, victim: readFileSync(victim, 'utf8')};
}

test('1. the internal-error log follows no planted symlink, is 0600 in a 0700 folder, and holds no token', () => {
	const runtime = mkdtempSync(path.join(os.tmpdir(), 'ct-runtime-'));
	mkdirSync(path.join(runtime, 'concurrency-top'), {mode: 0o700});
	const tmp = mkdtempSync(path.join(os.tmpdir(), 'ct-tmp-'));
	const {run, victim} = crashWithPlantedFiles({XDG_RUNTIME_DIR: runtime, TMPDIR: tmp});
	assert.equal(run.status, 1, run.stderr);
	assert.equal(victim, 'keep me\n', 'the planted symlink was followed');
	assert.match(
		run.stderr,
		/^concurrency-top: internal error: boom, the token was \*\*\* \(details in (.+)\)\n$/,
	);
	const log = /details in (.+)\)/.exec(run.stderr)![1]!;
	assert.equal(path.dirname(log), path.join(runtime, 'concurrency-top'));
	const stat = lstatSync(log);
	assert.ok(stat.isFile(), 'a regular file, not the planted link');
	assert.equal(stat.mode & 0o777, 0o600);
	const text = readFileSync(log, 'utf8');
	assert.match(text, /concurrency-top serve --control-token \*\*\*\n/);
	assert.match(text, /at /, 'the stack is there');
	for (const secret of [FLAG_TOKEN, ENV_TOKEN]) {
		assert.ok(!text.includes(secret), `the log holds ${secret}`);
		assert.ok(!run.stderr.includes(secret), `stderr holds ${secret}`);
	}
	assert.deepEqual(regularFiles(tmp), [], 'nothing written in the shared temp dir');
});

test('1. a planted folder with the wrong mode is refused: no log in it, one line that says why', () => {
	const tmp = mkdtempSync(path.join(os.tmpdir(), 'ct-tmp-'));
	const planted = path.join(tmp, `concurrency-top-${process.getuid!()}`);
	mkdirSync(planted);
	chmodSync(planted, 0o777);
	const {run, victim} = crashWithPlantedFiles({TMPDIR: tmp});
	assert.equal(run.status, 1, run.stderr);
	assert.equal(victim, 'keep me\n');
	assert.match(
		run.stderr,
		/^concurrency-top: internal error: boom.*\(no log written: .*concurrency-top-\d+ is not a private folder of this user \(mode 0777, not 0700\)/,
	);
	assert.deepEqual(readdirSync(planted), []);
	assert.deepEqual(regularFiles(tmp), [], 'nothing written in the shared temp dir');
});

/** A stand-in for a `serve` that someone else started: it records every byte an observer sends. */
async function fakeServe(listenOn: string | number, greeting: string | null) {
	let received = '';
	let connections = 0;
	const server = net.createServer((socket) => {
		connections++;
		socket.setEncoding('utf8');
		socket.on('data', (chunk: string) => (received += chunk));
		socket.on('error', () => {});
		if (greeting !== null) socket.write(greeting);
		setTimeout(() => socket.destroy(), 300);
	});
	await new Promise<void>((resolve) =>
		typeof listenOn === 'number'
			? server.listen(listenOn, '127.0.0.1', resolve)
			: server.listen(listenOn, resolve),
	);
	const address = server.address();
	return {
		port: typeof address === 'object' && address !== null ? address.port : 0,
		get received() {
			return received;
		},
		get connections() {
			return connections;
		},
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

const serverHello = (tokenRequired: boolean) =>
	`${JSON.stringify({type: 'hello', protocol: 1, version: 'fake', pid: process.pid, tokenRequired})}\n`;

async function attachCli(runtime: string) {
	const child = spawn(process.execPath, [CLI, 'attach', '--json'], {
		env: {...process.env, XDG_RUNTIME_DIR: runtime, CONCURRENCY_TOP_TOKEN: ENV_TOKEN},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let stderr = '';
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
	const [code] = (await once(child, 'exit')) as [number | null];
	return {code, stderr};
}

test('2. attach with no target refuses a socket folder or a socket that another user could have planted', async () => {
	const runtime = mkdtempSync(path.join(os.tmpdir(), 'ct-runtime-'));
	const folder = path.join(runtime, 'concurrency-top');
	mkdirSync(folder, {mode: 0o700});
	chmodSync(folder, 0o777);
	// Named after a live pid (ours), as a planted one would be.
	const socketPath = path.join(folder, `${process.pid}.sock`);
	const fake = await fakeServe(socketPath, serverHello(true));
	try {
		const wrongFolder = await attachCli(runtime);
		assert.equal(wrongFolder.code, 2, wrongFolder.stderr);
		assert.match(
			wrongFolder.stderr,
			/^concurrency-top: .*concurrency-top is not a private folder of this user \(mode 0777, not 0700\).*\n$/,
		);
		chmodSync(folder, 0o700);
		chmodSync(socketPath, 0o666);
		const wrongSocket = await attachCli(runtime);
		assert.equal(wrongSocket.code, 2, wrongSocket.stderr);
		assert.match(
			wrongSocket.stderr,
			/^concurrency-top: .*\.sock is not a private socket of this user \(mode 0666, not 0600\): not attaching\n$/,
		);
		assert.equal(fake.connections, 0, 'attach connected to the planted socket');
		assert.ok(!fake.received.includes(ENV_TOKEN));
	} finally {
		await fake.close();
	}
});

test('2. attach sends its token only after a valid server hello, and only to a server that asks', async () => {
	const target = (port: number) => ({kind: 'tcp', host: '127.0.0.1', port}) as const;
	const options = {version: 'test', token: ENV_TOKEN};
	for (const [greeting, error] of [
		[null, /closed the connection before sending a snapshot/],
		['{"type":"hello","protocol":1}\n', /is not a concurrency-top control endpoint/],
		['SSH-2.0-OpenSSH_9.6\n', /is not a concurrency-top control endpoint/],
	] as const) {
		const fake = await fakeServe(0, greeting);
		await assert.rejects(RemoteSource.connect(target(fake.port), options), error);
		await fake.close();
		assert.equal(fake.received, '', `sent before a valid hello (${greeting})`);
	}
	const open = await fakeServe(0, serverHello(false));
	await assert.rejects(RemoteSource.connect(target(open.port), options));
	await open.close();
	assert.match(open.received, /"type":"hello"/);
	assert.ok(!open.received.includes(ENV_TOKEN), 'the token went to a server that needs none');
	const guarded = await fakeServe(0, serverHello(true));
	await assert.rejects(RemoteSource.connect(target(guarded.port), options));
	await guarded.close();
	assert.match(guarded.received, new RegExp(`"token":"${ENV_TOKEN}"`));
});
