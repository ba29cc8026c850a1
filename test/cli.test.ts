import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import net from 'node:net';
import {once} from 'node:events';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {createInterface} from 'node:readline';
import {MODE_NAMES} from '../source/server/mode.js';
import {ByteClient} from './helpers/net.js';
import {assertConforms} from './helpers/json-schema.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

function run(...args: string[]) {
	return spawnSync(process.execPath, [CLI, ...args], {encoding: 'utf8', timeout: 10_000});
}

for (const [args, message] of [
	[
		['--mode', 'forking'],
		/^concurrency-top: --mode must be one of sequential, async.* \(got "forking"\)\n$/,
	],
	[
		['--port', '99999'],
		/^concurrency-top: --port must be a whole number from 0 to 65535 \(got "99999"\)\n$/,
	],
	[['--clients', 'lots'], /^concurrency-top: --clients must be a whole number/],
	[['--rate', '-1'], /^concurrency-top: --rate must be a number above 0/],
	[['--handler', 'reverse'], /^concurrency-top: --handler must be one of echo, upper/],
	[
		['--host', 'no-such-host.invalid'],
		/^concurrency-top: --host no-such-host.invalid does not resolve/,
	],
	[['--mode', 'async', '--mode', 'pool'], /^concurrency-top: --mode can only be set once\n$/],
	[
		['--color=maybe'],
		/^concurrency-top: --color is a switch and takes no value \(got "maybe"\)\n$/,
	],
	[
		['extra'],
		/^concurrency-top: unknown command "extra": commands are serve, attach, clients, watch, compare, bench, completion; see concurrency-top --help\n$/,
	],
] as const) {
	test(`${args.join(' ')}: exit 2 and one line naming the flag`, () => {
		const result = run(...args);
		assert.equal(result.status, 2, result.stderr);
		assert.match(result.stderr, message);
		assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
	});
}

test('an unknown flag is refused with status 2', () => {
	const result = run('--frobnicate');
	assert.equal(result.status, 2);
	assert.match(result.stderr, /frobnicate/);
	assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
});

for (const args of [
	...MODE_NAMES.map((mode) => ['--mode', mode]),
	['--mode', 'cluster', '--placement', 'worker'],
]) {
	test(`a port in use says so in one line and suggests --port 0, exit 2: ${args.join(' ')}`, async () => {
		const blocker = net.createServer();
		blocker.listen(0, '127.0.0.1');
		await once(blocker, 'listening');
		const {port} = blocker.address() as net.AddressInfo;
		try {
			const result = run('--port', String(port), '--json', ...args);
			assert.equal(
				result.stderr,
				`concurrency-top: port ${port} on 127.0.0.1 is in use: choose another with --port N, or --port 0 for any free port\n`,
			);
			assert.equal(result.status, 2);
		} finally {
			blocker.close();
		}
	});
}

test('listening beyond loopback prints a warning that anyone can connect', async () => {
	const child = spawn(process.execPath, [CLI, '--json', '--port', '0', '--host', '0.0.0.0'], {
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	try {
		const [chunk] = (await once(child.stderr!, 'data')) as [Buffer];
		assert.match(
			chunk.toString(),
			/^concurrency-top: warning: listening on 0\.0\.0\.0:\d+: anyone who can reach this machine can connect\n$/,
		);
	} finally {
		child.kill('SIGTERM');
		await once(child, 'exit');
	}
});

test('--version and --help', () => {
	assert.match(run('--version').stdout, /^\d+\.\d+\.\d+/);
	assert.match(run('--no-color', '--version').stdout, /^\d+\.\d+\.\d+\n$/, 'with other flags too');
	assert.match(run('--mode', 'pool', '--help').stdout, /Usage/);
	const help = run('--help').stdout;
	for (const flag of [
		'--mode',
		'--port',
		'--host',
		'--handler',
		'--clients',
		'--rate',
		'--json',
		'--version',
	]) {
		assert.ok(help.includes(flag), `--help mentions ${flag}`);
	}
});

test('--json: one snapshot per line, an outside client counted, exit 0 on SIGTERM', async () => {
	const child = spawn(
		process.execPath,
		[CLI, '--json', '--port', '0', '--clients', '2', '--rate', '20'],
		{
			stdio: ['ignore', 'pipe', 'pipe'],
		},
	);
	const lines = createInterface({input: child.stdout!});
	let outside: ByteClient | undefined;
	try {
		for await (const line of lines) {
			const snapshot = JSON.parse(line);
			assertConforms('dashboard', snapshot);
			assert.equal(snapshot.mode, 'async');
			assert.equal(typeof snapshot.port, 'number');
			outside ??= await ByteClient.connect(snapshot.port);
			if (snapshot.connections.active === 3 && snapshot.latency.p50 !== null) {
				assert.ok(snapshot.threads.os >= 1);
				assert.equal(
					snapshot.processes.count,
					1,
					'the test-client process is not counted as the server',
				);
				assert.ok(snapshot.traffic.messagesInPerSec > 0);
				assert.equal(typeof snapshot.latency.p99, 'number');
				assert.equal(snapshot.connections.queued, 0);
				break;
			}
		}
		assert.equal((await outside!.ask('from nc\n')).toString(), 'from nc\n');
		const exited = once(child, 'exit');
		child.kill('SIGTERM');
		const [code] = await exited;
		assert.equal(code, 0);
	} finally {
		await outside?.close();
		child.kill('SIGKILL');
	}
});
