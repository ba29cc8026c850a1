import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import net from 'node:net';
import {test} from 'node:test';
import {Controller} from '../source/live/controller.js';
import {parseOptions} from '../source/options/options.js';
import {UsageError} from '../source/options/values.js';
import {poolBudget} from '../source/server/pool-budget.js';
import type {ServerEvent} from '../source/server/protocol.js';
import {isAlive, LineClient, startServerProcess, threadCount} from './helpers/servers.js';
import {sleep, waitFor} from './helpers/net.js';

/**
 * The pool obeys the worker budget of a thread per client. `resize-pool +990` or
 * `--pool-size 1000` started 1,022 threads (171 MB to 6.9 GB) and left echo and control unreachable
 * for 13-17 s; `serve --mode thread` under `prlimit --as=8G` died with V8's CodeRange abort (133).
 */
const CLI = new URL('../cli.js', import.meta.url).pathname;

test('--pool-size beyond the worker budget is refused in one line that says the budget and why', () => {
	const {limit} = poolBudget(null);
	assert.throws(
		() => parseOptions({poolSize: String(limit + 1)}),
		(error: unknown) =>
			error instanceof UsageError &&
			error.message.startsWith(
				`--pool-size ${limit + 1}: a pool of ${limit + 1} threads is over the worker budget of ${limit} threads (`,
			),
	);
	// Within it, and raised by --max-workers as for thread and process per client.
	assert.equal(parseOptions({poolSize: String(limit)}).poolSize, limit);
	assert.equal(parseOptions({poolSize: '1000', maxWorkers: '1000'}).poolSize, 1000);
	assert.throws(
		() => parseOptions({poolSize: '12', maxWorkers: '8'}),
		/worker budget of 8 threads \(--max-workers 8\)/,
	);
});

test('resize-pool beyond the budget is refused with the reason; the pool keeps its threads, and echo answers', async () => {
	// A budget of 8 (--max-workers), so that the check, if it ever fails, starts a few threads, not 990.
	const controller = new Controller(
		parseOptions({port: '0', mode: 'pool', poolSize: '4', maxWorkers: '8'}),
	);
	try {
		await controller.start();
		const before = threadCount();
		const result = await controller.dispatch({type: 'resize-pool', by: 10});
		assert.equal(result.ok, false, 'refused');
		assert.match(
			(result as {why: string}).why,
			/^a pool of 14 threads is over the worker budget of 8 threads \(--max-workers 8\): --max-workers raises it$/,
		);
		await sleep(500);
		assert.ok(threadCount() <= before + 1, `${threadCount()} OS threads, ${before} before`);
		const client = await LineClient.connect(controller.port);
		assert.equal(await client.ask('still here'), 'still here');
		await client.close();
		// A step within the budget still applies, and shrinking always does.
		assert.deepEqual(await controller.dispatch({type: 'resize-pool', by: 1}), {ok: true});
		assert.deepEqual(await controller.dispatch({type: 'resize-pool', by: -2}), {ok: true});
	} finally {
		await controller.stop();
	}
});

test('a server told to grow its pool beyond the budget (the control path) logs why and keeps its size', async () => {
	const {runner, events, pid} = await startServerProcess('pool', {poolSize: 4, maxWorkers: 8});
	try {
		const before = threadCount(pid);
		runner.configure({poolSize: 20});
		const log = await waitFor(
			() =>
				events.find(
					(event): event is Extract<ServerEvent, {type: 'log'}> =>
						event.type === 'log' && event.text.startsWith('pool not resized'),
				),
			'the refusal in the log',
		);
		assert.match(log.text, /a pool of 20 threads is over the worker budget of 8 threads/);
		const sizes = events.flatMap((event) =>
			event.type === 'settings' ? [event.settings.poolSize] : [],
		);
		assert.equal(sizes.at(-1), 4, 'the pool size stays 4');
		await sleep(500);
		assert.ok(threadCount(pid) <= before + 1, `${threadCount(pid)} OS threads, ${before} before`);
	} finally {
		await runner.stop();
	}
});

/** A port free a moment ago, for a command that takes --port. */
async function freePort(): Promise<number> {
	const server = net.createServer().listen(0, '127.0.0.1');
	await new Promise((resolve) => server.once('listening', resolve));
	const {port} = server.address() as net.AddressInfo;
	await new Promise((resolve) => server.close(resolve));
	return port;
}

test('serve --mode thread under prlimit --as=8G runs within its address space, and echoes', async () => {
	const port = await freePort();
	const serve = spawn(
		'prlimit',
		[
			`--as=${8 * 2 ** 30}`,
			process.execPath,
			CLI,
			'serve',
			'--mode',
			'thread',
			'--port',
			String(port),
		],
		{stdio: ['ignore', 'ignore', 'pipe']},
	);
	let stderr = '';
	serve.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
	let exit: number | null = null;
	serve.once('exit', (code, signal) => (exit = code ?? (signal ? 128 : -1)));
	try {
		// 16 spares were asked for; before, the 13th thread's start aborted the process (133).
		await waitFor(() => exit !== null || /thread #\d+ started/.test(stderr), 'the first thread');
		await sleep(3000);
		assert.equal(exit, null, `serve ended (${exit}): ${stderr.slice(-300)}`);
		assert.ok(isAlive(serve.pid!));
		const client = await LineClient.connect(port);
		assert.equal(await client.ask('in bounds'), 'in bounds');
		await client.close();
		assert.doesNotMatch(stderr, /CodeRange/);
	} finally {
		serve.kill('SIGTERM');
		await new Promise((resolve) =>
			serve.exitCode === null ? serve.once('exit', resolve) : resolve(null),
		);
	}
});
