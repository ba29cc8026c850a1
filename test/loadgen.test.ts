import assert from 'node:assert/strict';
import net from 'node:net';
import {after, before, test} from 'node:test';
import {buildLoadgen, runLoadgen, type Loadgen, type LoadgenRun} from '../source/bench/loadgen.js';
import {MODEL_BACKLOG, startServer} from '../source/bench/processes.js';
import {readListenBacklog} from '../source/bench/sampler.js';
import {workload} from '../source/bench/workload.js';
import {MODE_NAMES} from '../source/server/mode.js';

let loadgen: Loadgen | string;
before(async () => {
	loadgen = await buildLoadgen();
});
after(() => {
	if (typeof loadgen !== 'string') loadgen.dispose();
});

async function serve(onSocket: (socket: net.Socket) => void): Promise<net.Server> {
	const server = net.createServer((socket) => {
		socket.on('error', () => {});
		onSocket(socket);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return server;
}

const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port;

const run = (port: number, extra: Partial<LoadgenRun> = {}) =>
	runLoadgen(loadgen as Loadgen, {
		host: '127.0.0.1',
		port,
		connections: 5,
		processes: 1,
		size: 64,
		depth: 1,
		warmupS: 0,
		durationS: 0.3,
		...extra,
	});

test('loadgen: every connection opens, then all echo; round trips, connects and first replies measured', async (t) => {
	if (typeof loadgen === 'string') return t.skip(loadgen);
	const server = await serve((socket) => socket.pipe(socket));
	try {
		let went = false;
		const result = await run(portOf(server), {processes: 2, depth: 2, onGo: () => (went = true)});
		assert.ok(went, 'the generator says when all connections start sending');
		assert.equal(result.connected, 5);
		assert.equal(result.firstReplies, 5);
		assert.equal(result.processes, 2);
		assert.deepEqual(result.errors, {refused: 0, resets: 0, closed: 0, timeouts: 0, other: 0});
		assert.ok(result.messages > 10, String(result.messages));
		assert.ok(Math.abs(result.bytesPerSec - result.messagesPerSec * 64) < 64);
		for (const summary of [result.rtt!, result.connect!, result.firstReply!]) {
			assert.ok(summary.samples > 0);
			assert.ok(summary.p50Ms! <= summary.p90Ms! && summary.p90Ms! <= summary.p99Ms!);
			assert.ok(summary.p99Ms! <= summary.p999Ms! && summary.p999Ms! <= summary.maxMs!);
		}
		assert.equal(result.connect!.samples, 5);
		assert.ok(result.cpuPercentMax >= 0 && result.cpuPercentTotal >= result.cpuPercentMax);
	} finally {
		server.close();
	}
});

test('loadgen: refused connects, resets and silent servers are counted, not ignored', async (t) => {
	if (typeof loadgen === 'string') return t.skip(loadgen);
	const closed = await serve(() => {});
	const port = portOf(closed);
	await new Promise((resolve) => closed.close(resolve));
	assert.equal((await run(port)).errors.refused, 5);

	const resetting = await serve((socket) => socket.once('data', () => socket.resetAndDestroy()));
	const silent = await serve(() => {});
	try {
		const reset = await run(portOf(resetting));
		assert.equal(reset.errors.resets, 5);
		assert.equal(reset.firstReplies, 0);
		const quiet = await run(portOf(silent), {timeoutS: 0.5});
		assert.equal(quiet.connected, 5);
		assert.equal(quiet.errors.timeouts, 5, 'connections that never had a reply timed out');
	} finally {
		resetting.close();
		silent.close();
	}
});

test('the plain baseline listens with the backlog each model really uses (read back with ss)', async (t) => {
	const echo = workload('echo', 0, 0);
	const plain = await startServer('plain', echo, 4096);
	try {
		const measured = await readListenBacklog(plain.port);
		if (measured === null) return t.skip('no ss here');
		assert.equal(measured, 4096);
	} finally {
		await plain.stop();
	}
	for (const mode of MODE_NAMES) {
		const server = await startServer(mode, echo);
		try {
			assert.equal(await readListenBacklog(server.port), MODEL_BACKLOG[mode], mode);
		} finally {
			await server.stop();
		}
	}
});
