import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import net from 'node:net';
import {once} from 'node:events';
import test from 'node:test';
import {runSs, ssRunnerPid, SsFailed, startSs} from '../source/collectors/ss.js';

const ppid = (pid: number) =>
	Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);

test('ss runs in a small shell of ours, started once: its output, in order, for many at once', async (t) => {
	const server = net.createServer().listen(0, '127.0.0.1');
	await once(server, 'listening');
	t.after(() => server.close());
	const {port} = server.address() as net.AddressInfo;
	startSs();
	const runner = ssRunnerPid();
	assert.ok(runner, 'the runner started');
	assert.equal(ppid(runner), process.pid, 'a child of ours');
	assert.match(readFileSync(`/proc/${runner}/cmdline`, 'utf8'), /^\/bin\/sh\0-c\0/);
	const answers = await Promise.all(
		Array.from({length: 20}, (_, i) =>
			runSs(i % 2 ? ['-Hltn', `sport = :${port}`] : ['-Hltn', 'sport', '=', `:${port + 1}`]),
		),
	);
	answers.forEach((answer, i) => {
		if (i % 2) assert.match(answer, new RegExp(`127\\.0\\.0\\.1:${port}\\b`), `answer ${i}`);
		else assert.doesNotMatch(answer, new RegExp(`:${port}\\b`), `answer ${i}`);
	});
	assert.equal(ssRunnerPid(), runner, 'one runner for all of them');
});

test('ss: a failure is one line; an argument with a newline never reaches the shell; output is bounded', async () => {
	await assert.rejects(runSs(['-Hltn', 'sport', '=', ':notaport']), (error: SsFailed) => {
		assert.ok(error instanceof SsFailed);
		assert.doesNotMatch(error.message, /\n/);
		return true;
	});
	await assert.rejects(runSs(['-Hltn', 'x\ny']), /newline/);
	await assert.rejects(
		runSs(['-Htan'], {maxBuffer: 10}),
		(error: SsFailed) => error.code === 'ENOBUFS',
	);
	// The runner is still in step after all three.
	assert.match(await runSs(['-V']), /ss utility|iproute2/);
});

test('ss: a runner that dies fails what it was running, and the next call starts a new one', async () => {
	startSs();
	const first = ssRunnerPid()!;
	const pending = runSs(['-Htan']);
	process.kill(first, 'SIGKILL');
	await pending.then(
		() => {},
		(error: Error) => assert.ok(error instanceof SsFailed),
	);
	assert.match(await runSs(['-V']), /ss utility|iproute2/);
	const second = ssRunnerPid();
	assert.ok(second && second !== first, 'a new runner');
});
