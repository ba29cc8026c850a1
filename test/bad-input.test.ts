/**
 * What test/cli.test.ts and test/options.test.ts leave out: every other flag given a bad value, at
 * the real command line (exit 2, one line naming the flag and what it allows), a start under a tiny
 * fd limit, and what listens where by default.
 */
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {readdirSync, readFileSync, readlinkSync} from 'node:fs';
import {createInterface} from 'node:readline';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {findDescendants} from '../source/collectors/proc.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

for (const [args, message] of [
	[['--pool-size', '0'], /^--pool-size must be a whole number from 1 to 1000 \(got "0"\)$/],
	[['--pool-size', '1001'], /^--pool-size must be a whole number from 1 to 1000/],
	[['--placement', 'cloud'], /^--placement must be one of in-process, worker \(got "cloud"\)$/],
	[['--max-connections', '0'], /^--max-connections must be a whole number from 1 to 100000/],
	[['--max-connections', '2.5'], /^--max-connections must be a whole number/],
	[['--work-ms', '-1'], /^--work-ms must be a whole number from 0 to 10000 \(got "-1"\)$/],
	[['--work-ms', '1e3'], /^--work-ms must be a whole number/],
	[['--delay-ms', 'abc'], /^--delay-ms must be a whole number from 0 to 60000/],
	[['--idle-timeout', '0'], /^--idle-timeout must be a whole number from 1 to 86400 \(got "0"\)$/],
	[['--idle-timeout', 'soon'], /^--idle-timeout must be a whole number/],
	[['--rate', 'abc'], /^--rate must be a number above 0 and at most 10000 \(got "abc"\)$/],
	[['--rate', '10001'], /^--rate must be a number above 0 and at most 10000/],
	[['--port', '-1'], /^--port must be a whole number from 0 to 65535 \(got "-1"\)$/],
	[['--port'], /^--port needs a value \(--port N\)$/],
	[['--mode'], /^--mode needs a value \(--mode NAME\)$/],
	[['--clients', '100000'], /^--clients must be a whole number from 0 to 10000/],
	[['--backlog', '0'], /^--backlog must be a whole number from 1 to 65535 \(got "0"\)$/],
	[['--backlog', '65536'], /^--backlog must be a whole number from 1 to 65535/],
	[['--backlog', '5.5'], /^--backlog must be a whole number/],
	[['--backlog'], /^--backlog needs a value \(--backlog N\)$/],
	[['--port', '0', '--host', '192.0.2.1'], /^--host 192.0.2.1 is not an address of this machine$/],
	[['--port', '0', '--host', '::2'], /^--host ::2 is not an address of this machine$/],
] as const) {
	test(`${args.join(' ')}: exit 2 and one line naming the flag and what it allows`, () => {
		const result = spawnSync(process.execPath, [CLI, ...args, '--json'], {
			encoding: 'utf8',
			timeout: 10_000,
		});
		assert.equal(result.status, 2, result.stderr);
		assert.equal(result.stdout, '');
		const lines = result.stderr.trimEnd().split('\n');
		assert.equal(lines.length, 1, result.stderr);
		assert.match(lines[0]!.replace(/^concurrency-top: /, ''), message);
	});
}

test('under a tiny fd limit (ulimit -n 20) it says so in one line, no stack trace', () => {
	const result = spawnSync(
		'bash',
		['-c', `ulimit -n 20; exec '${process.execPath}' '${CLI}' --json --port 0`],
		{encoding: 'utf8', timeout: 10_000},
	);
	assert.equal(result.status, 2, result.stderr);
	assert.equal(
		result.stderr,
		'concurrency-top: too few open files allowed to start (ulimit -n): raise it to 1024 or more\n',
	);
});

for (const mode of ['async', 'cluster'] as const) {
	test(`under a small fd limit (ulimit -n 50) the start says how many connections fit: ${mode}`, () => {
		// spawnSync with a timeout: the program runs (--json) until it is killed.
		const result = spawnSync(
			'bash',
			['-c', `ulimit -n 50; exec '${process.execPath}' '${CLI}' --json --port 0 --mode ${mode}`],
			{encoding: 'utf8', timeout: 4000, killSignal: 'SIGTERM'},
		);
		assert.equal(
			result.stderr.split('\n')[0],
			"concurrency-top: warning: ulimit -n 50 leaves room for 1 connection (the rest is kept for the dashboard's own files): raise it to 1024 or more for more",
		);
	});
}

/** Listening TCP sockets of these processes, as `address:port` in the kernel's hex form. */
function listeners(pids: number[]): string[] {
	const inodes = new Set<string>();
	for (const pid of pids) {
		try {
			for (const fd of readdirSync(`/proc/${pid}/fd`)) {
				try {
					const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
					if (match) inodes.add(match[1]!);
				} catch {
					// Closed while we read.
				}
			}
		} catch {
			// Gone.
		}
	}
	const found: string[] = [];
	for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
		for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
			const fields = line.trim().split(/\s+/);
			if (fields[3] === '0A' && inodes.has(fields[9]!)) found.push(fields[1]!);
		}
	}
	return found;
}

for (const args of [
	['--mode', 'async'],
	['--mode', 'cluster', '--placement', 'worker'],
]) {
	test(`by default nothing listens beyond loopback (${args.join(' ')}, with test clients)`, async () => {
		const child = spawn(
			process.execPath,
			[CLI, '--json', '--port', '0', '--clients', '2', ...args],
			{
				stdio: ['ignore', 'pipe', 'pipe'],
			},
		);
		try {
			const lines = createInterface({input: child.stdout!});
			for await (const line of lines) {
				if (JSON.parse(line).connections.active === 2) break;
			}
			const pids = [child.pid!, ...(await findDescendants(child.pid!))];
			const found = listeners(pids);
			assert.ok(found.length > 0, 'the server listens');
			for (const address of found) {
				// 127.0.0.1 in /proc/net/tcp's little-endian hex.
				assert.match(address, /^0100007F:/, `listening on ${address}`);
			}
		} finally {
			child.kill('SIGTERM');
		}
	});
}

test('under a small address-space limit (prlimit --as=8G) the screen commands say so in one line, no stack trace', () => {
	const result = spawnSync(
		'prlimit',
		[`--as=${8 * 2 ** 30}`, process.execPath, CLI, '--json', '--port', '0'],
		{encoding: 'utf8', timeout: 10_000},
	);
	assert.equal(result.status, 2, result.stderr);
	assert.match(
		result.stderr,
		/^concurrency-top: the address-space limit \(ulimit -v\) is 8 GiB, and the screen's layout engine \(WebAssembly\) reserves about 22 GiB: raise it to 24 GiB or unlimited, or run node --disable-wasm-trap-handler \S+ \(serve needs neither\)\n$/,
	);
	// With the trap handler off, 8 GiB is plenty: the dashboard runs and prints its first line.
	const off = spawnSync(
		'prlimit',
		[
			`--as=${8 * 2 ** 30}`,
			process.execPath,
			'--disable-wasm-trap-handler',
			CLI,
			'--json',
			'--port',
			'0',
		],
		{encoding: 'utf8', timeout: 4000, killSignal: 'SIGTERM'},
	);
	assert.match(off.stdout, /^\{"schema":2,/, off.stderr);
});
