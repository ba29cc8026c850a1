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
import {createInterface} from 'node:readline';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {test} from 'node:test';
import {socketPathFor} from '../source/remote/endpoint.js';
import {ensurePrivateDirectory, privateDirectory} from '../source/remote/private-folder.js';
import type {ControlServerOptions} from '../source/remote/control-server.js';
import {proofOf} from '../source/remote/proof.js';
import {RemoteSource} from '../source/remote/remote-source.js';
import {startServing} from './helpers/control.js';
import {sleep, waitFor} from './helpers/net.js';

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
	`${JSON.stringify({type: 'hello', protocol: 2, version: 'fake', pid: process.pid, tokenRequired, ...(tokenRequired ? {nonce: 'ab'.repeat(16)} : {})})}\n`;

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

test('2. attach sends its hello only after a valid server hello, and never its token: a proof, only to a server that asks', async () => {
	const target = (port: number) => ({kind: 'tcp', host: '127.0.0.1', port}) as const;
	const options = {version: 'test', token: ENV_TOKEN};
	for (const [greeting, error] of [
		[null, /closed the connection before sending a snapshot/],
		['{"type":"hello","protocol":2}\n', /is not a concurrency-top control endpoint/],
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
	// Issue 24: the token never crosses the wire; the proof is an HMAC over both sides' nonces.
	assert.match(guarded.received, /"proof":"[\da-f]{64}"/);
	assert.ok(!guarded.received.includes(ENV_TOKEN), 'the token crossed the wire');
});

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f]/;
const TOKEN = 'an-operator-token-0123';

async function serveControl(
	token: string | null,
	where: 'tcp' | 'socket',
	extra: Partial<ControlServerOptions> = {},
) {
	const {controller, control, logs} = await startServing(token, extra);
	const folder = path.join(mkdtempSync(path.join(os.tmpdir(), 'ct-')), 'd');
	const endpoint =
		where === 'tcp'
			? await control.listenTcp('127.0.0.1', 0)
			: await control.listenSocket(socketPathFor(process.pid, ensurePrivateDirectory(folder)));
	const target =
		endpoint.kind === 'tcp' ? {...endpoint} : {kind: 'socket' as const, path: endpoint.path};
	const raw = () =>
		endpoint.kind === 'tcp' ? net.connect(endpoint.port, '127.0.0.1') : net.connect(endpoint.path);
	return {
		controller,
		control,
		logs,
		target,
		raw,
		stop: async () => {
			await control.close();
			await controller.stop();
		},
	};
}

test('3. forty connections that never say hello do not keep the operator out', async () => {
	const serving = await serveControl(TOKEN, 'tcp');
	const silent = Array.from({length: 40}, () => serving.raw());
	try {
		// Each has been accepted: it got the server's hello (or was already let go).
		await Promise.all(
			silent.map(
				(socket) =>
					new Promise<void>((resolve) => {
						socket.on('error', () => {});
						socket.once('data', () => resolve());
						socket.once('close', () => resolve());
					}),
			),
		);
		const operator = await RemoteSource.connect(serving.target, {version: 'test', token: TOKEN});
		assert.equal(serving.control.observerCount, 1, 'only the operator holds a slot');
		// Those let go are held, unread, for 2 s before they are closed: not waiting.
		const waiting = serving.control.waitingCount;
		assert.ok(waiting <= 64, `${waiting} silent connections still waiting: the budget is 64`);
		await waitFor(
			() => silent.every((socket) => socket.destroyed || socket.readableEnded),
			'every silent connection let go at its deadline',
		);
		const at = operator.snapshot.at;
		await waitFor(() => operator.snapshot.at > at, 'the operator still watching');
		operator.close();
		const refusals = serving.logs.filter((line) => line.includes('refused')).length;
		assert.ok(refusals <= 12, `${refusals} log lines for 40 silent connections: a flood of lines`);
		assert.ok(serving.logs.some((line) => /\d+ more connections refused/.test(line)));
	} finally {
		for (const socket of silent) socket.destroy();
		await serving.stop();
	}
});

test('3. where no uid can be told, a crowd from one address makes room from its own ranks, not from a newcomer elsewhere', async () => {
	const serving = await serveControl(TOKEN, 'tcp', {procNet: '/nonexistent-proc/net'});
	const port = serving.target.kind === 'tcp' ? serving.target.port : 0;
	let nonce = '';
	const connectFrom = async (localAddress: string) => {
		const socket = net.connect({host: '127.0.0.1', port, localAddress});
		socket.on('error', () => {});
		const [greeting] = (await once(socket, 'data')) as [Buffer];
		nonce = (JSON.parse(greeting.toString()) as {nonce: string}).nonce;
		return socket;
	};
	const sockets: net.Socket[] = [];
	try {
		// Someone slow to say hello, from one address; then a crowd from another.
		const slow = await connectFrom('127.0.0.1');
		const slowNonce = nonce;
		sockets.push(slow);
		for (let i = 0; i < 20; i++) sockets.push(await connectFrom('127.0.0.2'));
		await sleep(200);
		assert.ok(!slow.readableEnded && !slow.destroyed, 'the crowd pushed out the one elsewhere');
		const mine = 'cd'.repeat(16);
		const proof = proofOf(TOKEN, 'observer', slowNonce, mine);
		slow.write(
			`${JSON.stringify({type: 'hello', protocol: 2, version: 'test', nonce: mine, proof})}\n`,
		);
		await waitFor(() => serving.control.observerCount === 1, 'the slow one attached');
	} finally {
		for (const socket of sockets) socket.destroy();
		await serving.stop();
	}
});

test('4. what an observer sends reaches the log inert, and every line names the peer', async () => {
	for (const where of ['socket', 'tcp'] as const) {
		const serving = await serveControl(null, where);
		const client = serving.raw();
		client.on('error', () => {});
		client.resume();
		await once(client, 'connect');
		const localPort = client.localPort;
		const version = '1\u001b]0;pwned\u0007\n2026-01-01T00:00:00Z forged';
		client.write(`${JSON.stringify({type: 'hello', protocol: 2, version})}\n`);
		client.write('{"type":"action","action":{"type":"next-mode"}}\n');
		await waitFor(
			() => serving.logs.some((line) => line.includes('next-mode')),
			'the action logged',
		);
		client.destroy();
		await waitFor(() => serving.logs.some((line) => line.includes('left')), 'the leaving logged');
		await serving.stop();
		const peer =
			where === 'tcp'
				? `127.0.0.1:${localPort} uid ${process.getuid!()}`
				: `uid ${process.getuid!()} pid ${process.pid}`;
		for (const line of serving.logs) {
			assert.ok(
				!CONTROL_CHARACTER.test(line),
				`a control character reached the log: ${JSON.stringify(line)}`,
			);
			assert.ok(line.startsWith(`observer 1 (${peer}) `), `no peer in ${JSON.stringify(line)}`);
		}
		assert.ok(
			serving.logs.some((line) => line.includes('version 1\\x1b]0;pwned\\x07\\x0a2026')),
			serving.logs.join('\n'),
		);
	}
});

test('6. an observer that floods gets its actions dropped and its window answered at a bounded rate', async () => {
	const serving = await serveControl(null, 'socket');
	const flooder = serving.raw();
	flooder.on('error', () => {});
	let snapshots = 0;
	flooder.setEncoding('utf8').on('data', (chunk: string) => {
		snapshots += chunk.split('"type":"snapshot"').length - 1;
	});
	try {
		await once(flooder, 'connect');
		flooder.write('{"type":"hello","protocol":2,"version":"flood"}\n');
		flooder.write('{"type":"action","action":{"type":"add-clients","count":1}}\n'.repeat(100));
		await waitFor(
			() => serving.logs.some((line) => /actions a second: \d+ dropped/.test(line)),
			'the drop said',
		);
		assert.ok(
			serving.controller.snapshot.clients.total <= 40,
			`${serving.controller.snapshot.clients.total} clients from 100 actions sent at once`,
		);
		const before = snapshots;
		const started = Date.now();
		for (let i = 0; i < 20_000; i++) {
			flooder.write(`{"type":"window","window":{"offset":${i % 50},"limit":${1 + (i % 20)}}}\n`);
		}
		await sleep(2000);
		const seconds = (Date.now() - started) / 1000;
		const rate = (snapshots - before) / seconds;
		// 20 a second for the window changes (one each 50 ms), 10 for the ticks: far below one per message.
		assert.ok(rate < 60, `${rate.toFixed(0)} snapshots a second to one observer`);
		assert.ok(
			flooder.writableLength > 0 || snapshots - before < 200,
			'the flood is not read at once',
		);
	} finally {
		flooder.destroy();
		await serving.stop();
	}
});

test('8. idle connections to --metrics-port neither blind /proc nor make the echo server refuse, under ulimit -n 512', async () => {
	const command = [process.execPath, CLI, '--json', '--port', '0', '--metrics-port', '0']
		.map((word) => `'${word}'`)
		.join(' ');
	const child = spawn('bash', ['-c', `ulimit -n 512; exec ${command}`], {
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let stderr = '';
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
	const snapshots: Array<{
		port: number;
		threads: {os: number | null};
		connections: {active: number};
	}> = [];
	createInterface({input: child.stdout}).on('line', (line) => snapshots.push(JSON.parse(line)));
	const sockets: net.Socket[] = [];
	const open = (port: number) => {
		const socket = net.connect(port, '127.0.0.1');
		socket.on('error', () => {});
		sockets.push(socket);
		return socket;
	};
	try {
		const metricsPort = Number(
			await waitFor(() => /:(\d+)\/metrics/.exec(stderr)?.[1], 'the metrics address'),
		);
		const {port} = await waitFor(() => snapshots[0], 'the first snapshot');
		let metricsOpen = 0;
		for (let i = 0; i < 300; i++) {
			const idle = open(metricsPort);
			idle.on('connect', () => metricsOpen++);
			idle.on('close', () => metricsOpen--);
			idle.resume();
		}
		await sleep(500);
		let echoed = 0;
		let closed = 0;
		for (let i = 0; i < 250; i++) {
			const client = open(port);
			client.once('connect', () => client.write('hi\n'));
			client.once('data', () => echoed++);
			client.once('close', () => closed++);
		}
		await waitFor(
			() => echoed + closed === 250,
			() => `${echoed} echoed, ${closed} closed of 250`,
		);
		assert.equal(echoed, 250, `${closed} echo clients were cut off`);
		assert.ok(metricsOpen <= 16, `${metricsOpen} metrics connections held open`);
		const seen = snapshots.length;
		await waitFor(() => snapshots.length > seen + 1, 'two more snapshots');
		const last = snapshots.at(-1)!;
		assert.equal(last.connections.active, 250);
		assert.ok(typeof last.threads.os === 'number' && last.threads.os > 0, JSON.stringify(last));
		const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
		assert.equal(scrape.status, 200, 'a scrape still gets through');
	} finally {
		for (const socket of sockets) socket.destroy();
		child.kill();
		await once(child, 'exit');
	}
});

test("8. the metrics port counts in the fd budget: under ulimit -n 160 its 16 connections and the echo server's together stay within the limit", async () => {
	const command = [process.execPath, CLI, '--json', '--port', '0', '--metrics-port', '0']
		.map((word) => `'${word}'`)
		.join(' ');
	const child = spawn('bash', ['-c', `ulimit -n 160; exec ${command}`], {
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let stderr = '';
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
	const snapshots: Array<{port: number; threads: {os: number | null}}> = [];
	createInterface({input: child.stdout}).on('line', (line) => snapshots.push(JSON.parse(line)));
	const sockets: net.Socket[] = [];
	const open = (port: number) => {
		const socket = net.connect(port, '127.0.0.1');
		socket.on('error', () => {});
		sockets.push(socket);
		return socket;
	};
	try {
		const metricsPort = Number(
			await waitFor(() => /:(\d+)\/metrics/.exec(stderr)?.[1], 'the metrics address'),
		);
		// 160 less 128 of headroom less the metrics port's listener and 16 connections (before: 32).
		assert.match(stderr, /ulimit -n 160 leaves room for 15 connections/);
		const {port} = await waitFor(() => snapshots[0], 'the first snapshot');
		for (let i = 0; i < 16; i++) open(metricsPort).resume();
		await sleep(300);
		let echoed = 0;
		let closed = 0;
		for (let i = 0; i < 25; i++) {
			const client = open(port);
			client.once('connect', () => client.write('hi\n'));
			client.once('data', () => echoed++);
			client.once('close', () => closed++);
		}
		await waitFor(
			() => echoed === 15 && closed === 10,
			() => `${echoed} echoed, ${closed} refused of 25 (15 and 10 expected)`,
		);
		const fds = readdirSync(`/proc/${child.pid}/fd`).length;
		assert.ok(fds < 160, `${fds} descriptors open of 160`);
		const seen = snapshots.length;
		await waitFor(() => snapshots.length > seen + 1, 'two more snapshots');
		assert.ok(typeof snapshots.at(-1)!.threads.os === 'number', 'the /proc figures keep coming');
		const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
		assert.equal(scrape.status, 200, 'a scrape still gets through');
	} finally {
		for (const socket of sockets) socket.destroy();
		child.kill();
		await once(child, 'exit');
	}
});

test('1. the private folder is only made where nobody else can swap it: a runtime dir open to others is not used', () => {
	const open = mkdtempSync(path.join(os.tmpdir(), 'ct-open-'));
	chmodSync(open, 0o777);
	const tmp = mkdtempSync(path.join(os.tmpdir(), 'ct-tmp-'));
	const uid = process.getuid!();
	assert.equal(
		privateDirectory({XDG_RUNTIME_DIR: open, TMPDIR: tmp}),
		path.join(tmp, `concurrency-top-${uid}`),
	);
	const mine = mkdtempSync(path.join(os.tmpdir(), 'ct-runtime-'));
	assert.equal(
		privateDirectory({XDG_RUNTIME_DIR: mine, TMPDIR: tmp}),
		path.join(mine, 'concurrency-top'),
	);
	assert.throws(
		() => ensurePrivateDirectory(path.join(open, 'concurrency-top')),
		/lets other users replace what is in it/,
	);
	chmodSync(open, 0o1777);
	assert.equal(
		lstatSync(ensurePrivateDirectory(path.join(open, 'd'))).mode & 0o777,
		0o700,
		'sticky, as /tmp',
	);
});
