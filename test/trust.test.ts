/**
 * No other local user drives our server, no secret crosses the wire, a flood of silent connections
 * does not keep the operator out (serve's CPU under it: bench/control-flood.ts), the
 * keys come from the terminal when stdin is not one, the first frame counts only the server, and
 * no text from the network turns a line around. "Another local user" is nobody (uid 65534): the
 * tests run as root and start its processes with spawn's uid and gid.
 */
import assert from 'node:assert/strict';
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {once} from 'node:events';
import {chmodSync, lstatSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {createInterface} from 'node:readline';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {ProcCollector} from '../source/collectors/proc.js';
import {ensurePrivateDirectory, writeTokenFile} from '../source/remote/private-folder.js';
import {FailedProofs, proofOf} from '../source/remote/proof.js';
import {AttachError, RemoteSource} from '../source/remote/remote-source.js';
import {startServing} from './helpers/control.js';
import {cpuShare} from './helpers/cpu.js';
import {sleep, waitFor} from './helpers/net.js';
import {PtySession} from './helpers/pty.js';
import {SEQUENTIAL_SNAPSHOT} from './helpers/snapshots.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const COPIES = fileURLToPath(new URL('../app/listener-copies.cjs', import.meta.url));
const TOKEN = 'an-operator-token-0123456789';
const NOBODY = 65_534;
const asRoot = process.getuid?.() === 0;
const needsRoot = asRoot ? false : 'needs root, to run a second local user (nobody)';

const lines = (stream: NodeJS.ReadableStream) => {
	const seen: string[] = [];
	createInterface({input: stream}).on('line', (line) => seen.push(line));
	return seen;
};

async function stop(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	child.kill('SIGTERM');
	await Promise.race([once(child, 'exit'), sleep(3000)]);
	if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** `serve` on a loopback control port of its own; its log, and the target once it says it. */
async function startServe(extra: readonly string[] = []) {
	const runtime = mkdtempSync(path.join(os.tmpdir(), 'ct-runtime-'));
	const child = spawn(
		process.execPath,
		[CLI, 'serve', '--port', '0', '--control-port', '0', '--rate', '20', ...extra],
		{stdio: ['ignore', 'ignore', 'pipe'], env: {...process.env, XDG_RUNTIME_DIR: runtime}},
	);
	const log = lines(child.stderr!);
	const port = Number(
		await waitFor(
			() => log.map((line) => / attach 127\.0\.0\.1:(\d+)$/.exec(line)?.[1]).find(Boolean),
			() => `the control port; log:\n${log.join('\n')}`,
		),
	);
	return {child, log, port, target: {kind: 'tcp', host: '127.0.0.1', port} as const};
}

/** Node code run as nobody: `node -e`, so that it needs no file a second user may not read. */
function asNobody(code: string, args: readonly string[] = []): ChildProcess {
	return spawn(process.execPath, ['-e', code, ...args], {
		uid: NOBODY,
		gid: NOBODY,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
}

test(
	'1. a control port admits only the serving user and root: another user drives nothing, and the log names its uid',
	{skip: needsRoot},
	async () => {
		const serve = await startServe();
		try {
			// The line after the attach line startServe waits for: it may come in a later chunk.
			await waitFor(
				() =>
					serve.log.some((line) =>
						/control: only root \(uid 0\) may attach \(known by the peer socket's uid\)/.test(line),
					),
				() => `serve says who may connect:\n${serve.log.join('\n')}`,
			);
			// As nobody: a raw observer that says hello and sends the actions of the review.
			const intruder = asNobody(
				`const s = require('net').connect(${serve.port}, '127.0.0.1');
			let got = '';
			s.setEncoding('utf8').on('data', (d) => (got += d));
			s.on('connect', () => {
				s.write(JSON.stringify({type: 'hello', protocol: 2, version: 'x'}) + '\\n');
				for (const action of [{type: 'add-clients', count: 100}, {type: 'set-max-connections', max: 1}, {type: 'set-mode', mode: 'sequential'}])
					s.write(JSON.stringify({type: 'action', action}) + '\\n');
			});
			s.on('error', () => {});
			s.on('close', () => { process.stdout.write(got); process.exit(0); });
			setTimeout(() => { process.stdout.write(got); process.exit(0); }, 4000);`,
			);
			let heard = '';
			intruder.stdout!.setEncoding('utf8').on('data', (text: string) => (heard += text));
			await once(intruder, 'exit');
			assert.match(heard, /"type":"error".*uid 65534 may not attach/);
			assert.doesNotMatch(heard, /"type":"snapshot"/, 'another user saw the figures');
			// attach itself, as nobody: one line, exit 1.
			const attach = spawnSync(
				process.execPath,
				[CLI, 'attach', `127.0.0.1:${serve.port}`, '--json'],
				{uid: NOBODY, gid: NOBODY, encoding: 'utf8', timeout: 10_000},
			);
			assert.equal(attach.status, 1, attach.stderr);
			assert.match(
				attach.stderr,
				/^concurrency-top: 127\.0\.0\.1:\d+ refused: uid 65534 may not attach.*\n$/,
			);
			// Root (the serving user) attaches with no token, and nothing of the intruder's was done.
			const operator = await RemoteSource.connect(serve.target, {version: 'test'});
			const snapshot = operator.snapshot;
			operator.close();
			assert.equal(snapshot.clients.total, 0, 'the intruder added clients');
			assert.equal(snapshot.server.settings.maxConnections, null);
			assert.equal(snapshot.server.mode, 'async');
			await waitFor(
				() => serve.log.some((line) => /\(127\.0\.0\.1:\d+ uid 0\) attached/.test(line)),
				'root attached, by uid',
			);
			assert.ok(
				serve.log.some((line) =>
					/\(127\.0\.0\.1:\d+ uid 65534\) refused: uid 65534 may not attach/.test(line),
				),
				serve.log.join('\n'),
			);
		} finally {
			await stop(serve.child);
		}
	},
);

/** A ControlServer on TCP as on a machine without /proc: nobody can be told by uid. */
async function tokenOnly(token: string | null) {
	const serving = await startServing(token, {procNet: '/nonexistent-proc/net'});
	const endpoint = await serving.control.listenTcp('127.0.0.1', 0);
	const port = endpoint.kind === 'tcp' ? endpoint.port : 0;
	return {
		...serving,
		port,
		target: {kind: 'tcp', host: '127.0.0.1', port} as const,
		stop: async () => {
			await serving.control.close();
			await serving.controller.stop();
		},
	};
}

test('1. without /proc/net/tcp the control port falls back to the token alone, and says so', async () => {
	const serving = await tokenOnly(TOKEN);
	try {
		assert.match(
			serving.control.whoMayAttach(),
			/cannot be read here.*every observer must prove it holds the token/,
		);
		await assert.rejects(RemoteSource.connect(serving.target, {version: 'test'}), /needs a token/);
		const good = await RemoteSource.connect(serving.target, {version: 'test', token: TOKEN});
		good.close();
	} finally {
		await serving.stop();
	}
});

const NONCE = 'ab'.repeat(16);
const hello = (tokenRequired: boolean) =>
	`${JSON.stringify({type: 'hello', protocol: 2, version: 'fake', pid: process.pid, tokenRequired, nonce: NONCE})}\n`;

/** A stand-in for a `serve` someone else started: it asks for the token and records what it is sent. */
async function fakeServe(answer: (socket: net.Socket) => void) {
	let received = '';
	const server = net.createServer((socket) => {
		socket.setEncoding('utf8');
		socket.on('error', () => {});
		socket.on('data', (chunk: string) => {
			received += chunk;
			if (received.includes('\n')) answer(socket);
		});
		socket.write(hello(true));
	});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const {port} = server.address() as net.AddressInfo;
	return {
		target: {kind: 'tcp', host: '127.0.0.1', port} as const,
		get received() {
			return received;
		},
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

const snapshotLine = `${JSON.stringify({type: 'snapshot', snapshot: SEQUENTIAL_SNAPSHOT})}\n`;

test('2. the token never crosses the wire, a recorded proof is worth nothing, and attach shows nothing of a server that cannot prove it holds the token', async () => {
	const options = {version: 'test', token: TOKEN};
	// A fake server that answers with a made-up proof, and one that sends figures with none.
	const forger = await fakeServe((socket) =>
		socket.write(`{"type":"proof","proof":"${'cd'.repeat(32)}"}\n${snapshotLine}`),
	);
	const silent = await fakeServe((socket) => socket.write(snapshotLine));
	try {
		await assert.rejects(
			RemoteSource.connect(forger.target, options),
			/could not prove it holds the token: not attaching/,
		);
		await assert.rejects(
			RemoteSource.connect(silent.target, options),
			/did not prove it holds the token: not attaching/,
		);
		for (const fake of [forger, silent]) {
			assert.match(fake.received, /"proof":"[\da-f]{64}"/);
			assert.ok(!fake.received.includes(TOKEN), 'the token crossed the wire');
		}
	} finally {
		await forger.close();
		await silent.close();
	}
	// What the fake server recorded, replayed to the real one: its challenge is another.
	const recorded = forger.received.split('\n')[0]!;
	const serving = await tokenOnly(TOKEN);
	try {
		const replay = net.connect(serving.port, '127.0.0.1');
		let heard = '';
		replay.setEncoding('utf8').on('data', (chunk: string) => (heard += chunk));
		replay.on('error', () => {});
		await once(replay, 'data');
		replay.write(`${recorded}\n`);
		await Promise.race([once(replay, 'close'), sleep(5000)]);
		assert.match(heard, /"type":"error","message":"wrong or missing token"/);
		assert.doesNotMatch(heard, /"type":"snapshot"/);
		// The real server proves itself, and attach attaches.
		const good = await RemoteSource.connect(serving.target, options);
		assert.equal(good.serverPid, process.pid);
		good.close();
	} finally {
		await serving.stop();
	}
	assert.match(proofOf(TOKEN, 'observer', NONCE, NONCE), /^[\da-f]{64}$/);
	assert.notEqual(proofOf(TOKEN, 'observer', NONCE, NONCE), proofOf(TOKEN, 'server', NONCE, NONCE));
});

test('3. a token shorter than 16 characters is refused in one line, exit 2, from the flag or the variable', () => {
	for (const [args, env, name] of [
		[['--control-token', 'ab'], {}, '--control-token'],
		[[], {CONCURRENCY_TOP_TOKEN: 'ab'}, 'CONCURRENCY_TOP_TOKEN'],
	] as const) {
		const run = spawnSync(
			process.execPath,
			[CLI, 'serve', '--port', '0', '--control-port', '0', ...args],
			{
				encoding: 'utf8',
				env: {...process.env, ...env},
				timeout: 10_000,
			},
		);
		assert.equal(run.status, 2, run.stderr);
		assert.equal(
			run.stderr,
			`concurrency-top: ${name} must be at least 16 characters (got 2): use a random one, such as the output of "openssl rand -hex 16"\n`,
		);
	}
});

test('3. a token serve made is left 0600 in the private folder, and attach reads it there, never a planted one', async () => {
	const directory = ensurePrivateDirectory(
		path.join(mkdtempSync(path.join(os.tmpdir(), 'ct-')), 'd'),
	);
	const made = 'made-by-serve-0123456789abcdef';
	const serving = await tokenOnly(made);
	try {
		const file = writeTokenFile(process.pid, made, directory);
		assert.equal(lstatSync(file).mode & 0o777, 0o600);
		assert.equal(lstatSync(directory).mode & 0o777, 0o700);
		const good = await RemoteSource.connect(serving.target, {
			version: 'test',
			tokenDirectory: directory,
		});
		good.close();
		chmodSync(file, 0o644);
		await assert.rejects(
			RemoteSource.connect(serving.target, {version: 'test', tokenDirectory: directory}),
			/needs a token/,
		);
		writeFileSync(file, 'x');
	} finally {
		await serving.stop();
	}
});

test('3. failed proofs slow the peer down, and the bookkeeping is bounded', async () => {
	const serving = await tokenOnly(TOKEN);
	try {
		const started = Date.now();
		for (let i = 0; i < 4; i++) {
			await assert.rejects(
				RemoteSource.connect(serving.target, {
					version: 'test',
					token: `wrong-guess-${i}-0123456789`,
				}),
				AttachError,
			);
		}
		const seconds = (Date.now() - started) / 1000;
		assert.ok(seconds >= 4, `4 wrong guesses in ${seconds.toFixed(2)} s`);
	} finally {
		await serving.stop();
	}
	const failed = new FailedProofs(256);
	for (let i = 0; i < 10_000; i++) failed.failed(`10.0.${i >> 8}.${i & 255}`);
	assert.equal(failed.size, 256);
	assert.equal(failed.count('10.0.39.15'), 1, 'the latest are kept');
	assert.equal(failed.count('10.0.0.0'), 0, 'the oldest forgotten');
});

test(
	'4. forty silent reconnecting connections of another user: all 20 operator attaches get in, and the flood comes back no faster than serve holds it',
	{skip: needsRoot},
	async () => {
		const serve = await startServe(['--control-token', TOKEN]);
		// Each of 40 connections, once let go, connects again at once, and never says a word.
		const flood = asNobody(
			`const net = require('net');
		let connects = 0;
		const open = () => {
			connects++;
			const s = net.connect(${serve.port}, '127.0.0.1');
			s.on('error', () => {});
			s.resume();
			s.on('close', open);
		};
		for (let i = 0; i < 40; i++) open();
		setInterval(() => process.stdout.write(connects + '\\n'), 1000);`,
		);
		const connects = lines(flood.stdout!);
		try {
			// serve's CPU under this flood is a figure, not a test: node dist/bench/control-flood.js.
			await waitFor(() => connects.length >= 6, 'the flood under way for 6 s', 20_000);
			let refused = 0;
			for (let i = 0; i < 20; i++) {
				try {
					const operator = await RemoteSource.connect(serve.target, {version: 'test'});
					operator.close();
				} catch {
					refused++;
				}
			}
			const rate = Number(connects.at(-1)) / connects.length;
			assert.equal(refused, 0, `${refused} of 20 attaches refused`);
			// A refused connection is held unread for 2 s: 40 connections come back at most 20 times a
			// second after the first 40, not as fast as serve can accept them.
			assert.ok(rate <= 40, `the flood reconnected ${rate.toFixed(0)} times a second`);
		} finally {
			flood.kill('SIGKILL');
			await stop(serve.child);
		}
	},
);

/** Bytes this process has read through read(2) and the like, files and sockets alike. */
const bytesRead = () => Number(/rchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);

test("4. a silent connection costs no read of the socket table, however swollen; an observer's hello costs one", async () => {
	// A table of 14,700 rows, as TIME_WAIT churn can make it (each read walks all of it).
	const procNet = mkdtempSync(path.join(os.tmpdir(), 'ct-procnet-'));
	const row = (i: number) =>
		`${String(i).padStart(6)}: 0100007F:${(10_000 + (i % 50_000)).toString(16).toUpperCase()} 0100007F:1F90 06 00000000:00000000 03:00000A1B 00000000     0        0 0 3 0000000000000000${' '.repeat(60)}`;
	const rows = Array.from({length: 14_700}, (_, i) => row(i));
	writeFileSync(
		path.join(procNet, 'tcp'),
		`  sl  local_address rem_address   st\n${rows.join('\n')}\n`,
	);
	const tableBytes = lstatSync(path.join(procNet, 'tcp')).size;
	const serving = await startServing(TOKEN, {procNet});
	const endpoint = await serving.control.listenTcp('127.0.0.1', 0);
	const port = endpoint.kind === 'tcp' ? endpoint.port : 0;
	const silent: net.Socket[] = [];
	try {
		const before = bytesRead();
		for (let i = 0; i < 40; i++) {
			const socket = net.connect(port, '127.0.0.1');
			socket.on('error', () => {});
			silent.push(socket);
			await once(socket, 'data'); // the server's hello: accepted, greeted, and never answered
		}
		const silentReads = (bytesRead() - before) / tableBytes;
		assert.ok(
			silentReads < 0.5,
			`40 silent connections read the ${tableBytes}-byte table ${silentReads.toFixed(1)} times`,
		);
		// An observer that says hello (with the token: no row of this table is its own) costs one.
		const atHello = bytesRead();
		const observer = await RemoteSource.connect(
			{kind: 'tcp', host: '127.0.0.1', port},
			{version: 'test', token: TOKEN},
		);
		observer.close();
		const helloReads = (bytesRead() - atHello) / tableBytes;
		assert.ok(
			helloReads > 0.5 && helloReads < 2,
			`one observer read the table ${helloReads.toFixed(1)} times`,
		);
	} finally {
		for (const socket of silent) socket.destroy();
		await serving.control.close();
		await serving.controller.stop();
	}
});

test('5. stdin not a terminal: keys are read from /dev/tty, as less does', async () => {
	const session = new PtySession('/bin/bash', [
		'-c',
		`exec '${process.execPath}' '${CLI}' --port 0 < /dev/null`,
	]);
	try {
		await session.waitFor((s) => /Connections \d+ active/.test(s.text()), 20_000);
		session.press('q');
		const exit = await session.waitForExit(10_000);
		assert.equal(exit.exitCode, 0, session.output.slice(-2000));
		assert.doesNotMatch(session.output, /Raw mode is not supported/);
	} finally {
		await session.dispose();
	}
});

test('5. no terminal to read keys from: one line with the --json hint, exit 2, no stack', async () => {
	// setsid: a session with no controlling terminal, so /dev/tty cannot be opened; stdout is still the pty.
	const session = new PtySession('/bin/bash', [
		'-c',
		`exec setsid -w '${process.execPath}' '${CLI}' --port 0 < /dev/null`,
	]);
	try {
		const exit = await session.waitForExit(20_000);
		assert.equal(exit.exitCode, 2, session.output);
		const text = session.output.replace(/\r/g, '').trim();
		assert.match(text, /^concurrency-top: no terminal to read keys from .*--json.*$/);
		assert.doesNotMatch(text, /\n|\bat /, 'one line, no stack');
	} finally {
		await session.dispose();
	}
});

test("8. the server's figures leave out the short-lived listener-copies helper", async () => {
	// A server that has just forked the helper, as async's acceptor does, and waits with it alive.
	const server = spawn(
		process.execPath,
		[
			'-e',
			`const helper = require('child_process').fork(process.argv[1], [], {stdio: ['ignore', 'ignore', 'ignore', 'ipc'], execArgv: []});
			helper.on('message', (m) => { if (m === 'ready') process.stdout.write(helper.pid + '\\n'); });
			setInterval(() => {}, 1000);`,
			COPIES,
		],
		{stdio: ['ignore', 'pipe', 'inherit']},
	);
	const said = lines(server.stdout!);
	try {
		const helper = Number(await waitFor(() => said[0], 'the helper up'));
		assert.ok(helper > 0);
		const collector = new ProcCollector({
			serverPid: () => server.pid!,
			port: () => null,
			exclude: () => new Set(),
		});
		const processes = await collector.processes();
		const stat = readFileSync(`/proc/${server.pid}/stat`, 'utf8');
		const threads = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[17]);
		assert.deepEqual(
			processes.map((each) => each.pid),
			[server.pid],
			'the helper counted as part of the server',
		);
		assert.equal(processes[0]!.threads, threads);
	} finally {
		server.kill('SIGKILL');
	}
});

test("8. an idle async dashboard's first frame shows the server alone: one process, its threads as /proc counts them", async () => {
	const session = new PtySession(process.execPath, [CLI, '--mode', 'async', '--port', '0'], {
		cols: 120,
		rows: 40,
	});
	try {
		// `OS thr/procs 11/1`: the OS threads and the processes share a line.
		const figures = /OS thr\/procs\s+(\d+)\/(\d+)/;
		await session.waitFor((s) => figures.test(s.text()), 20_000);
		const screen = session.text();
		const stat = readFileSync(`/proc/${session.pid}/stat`, 'utf8');
		const threads = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[17]);
		const [, shownThreads, shownProcesses] = figures.exec(screen)!;
		assert.equal(shownProcesses, '1', screen);
		assert.equal(Number(shownThreads), threads, screen);
	} finally {
		await session.dispose();
	}
});

test("9. a right-to-left override in a server hello reaches attach's protocol line inert", async () => {
	const server = net.createServer((socket) => {
		socket.on('error', () => {});
		socket.write(
			`${JSON.stringify({type: 'hello', protocol: 999, version: '1.0\u202e)sdrawkcab(', pid: 1, tokenRequired: false})}\n`,
		);
	});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const {port} = server.address() as net.AddressInfo;
	try {
		await assert.rejects(
			RemoteSource.connect({kind: 'tcp', host: '127.0.0.1', port}, {version: 'test'}),
			(error: unknown) =>
				error instanceof AttachError &&
				error.message.includes('1.0\\u202e)sdrawkcab(') &&
				!/[\u202a-\u202e\u2066-\u2069]/.test(error.message),
		);
	} finally {
		server.close();
	}
});

test('9. a port in use: the hint names the flag of that port', async () => {
	const taken = net.createServer().listen(0, '127.0.0.1');
	await once(taken, 'listening');
	const {port} = taken.address() as net.AddressInfo;
	try {
		for (const [args, flag] of [
			[['serve', '--port', '0', '--control-port', String(port)], '--control-port'],
			[['--json', '--port', '0', '--metrics-port', String(port)], '--metrics-port'],
		] as const) {
			const run = spawnSync(process.execPath, [CLI, ...args], {encoding: 'utf8', timeout: 15_000});
			assert.equal(run.status, 2, run.stderr);
			assert.match(
				run.stderr,
				new RegExp(`choose another with ${flag} N, or ${flag} 0 for any free port\\n$`),
			);
			assert.doesNotMatch(run.stderr, / --port /);
		}
	} finally {
		taken.close();
	}
});

test('9. a command that floods its stderr does not keep watch busy', async () => {
	const flooder = `require('net').createServer().listen(0, '127.0.0.1');
		const line = 'x'.repeat(99) + '\\n';
		const chunk = line.repeat(600);
		const more = () => process.stderr.write(chunk, more);
		more();`;
	const watch = spawn(
		process.execPath,
		[CLI, 'watch', '--json', '--', process.execPath, '-e', flooder],
		{
			stdio: ['ignore', 'pipe', 'pipe'],
		},
	);
	const out = lines(watch.stdout!);
	watch.stderr!.resume();
	try {
		await waitFor(() => out.length > 0, 'the first JSON line', 20_000);
		const cpu = await cpuShare(watch.pid!, 3000);
		assert.ok(cpu < 25, `watch used ${cpu.toFixed(0)}% of a core reading a flood of stderr`);
		assert.ok(out.length >= 2, 'watch goes on');
	} finally {
		await stop(watch);
	}
});
