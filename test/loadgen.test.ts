import assert from 'node:assert/strict';
import net from 'node:net';
import {after, before, test} from 'node:test';
import {NO_ERRORS} from '../source/server/protocol.js';
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
		ratePerSec: null,
		messageTimeoutMs: 10_000,
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
		assert.deepEqual(result.errors, {...NO_ERRORS, messageTimeouts: 0});
		assert.equal(result.schedule, 'closed-loop');
		assert.equal(result.ratePerSec, null);
		// The round trips' buckets, as [index, count]: every sample in one.
		const buckets = result.rtt!.buckets;
		assert.equal(
			buckets.reduce((sum, [, count]) => sum + count, 0),
			result.rtt!.samples,
		);
		assert.deepEqual(
			buckets.map(([index]) => index),
			[...buckets.map(([index]) => index)].sort((a, b) => a - b),
			'lowest first',
		);
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

/**
 * An echo server that holds every reply for `holdMs` once, `afterMs` after the first message it
 * reads, then sends what it held, in order.
 */
async function stallingEcho(afterMs: number, holdMs: number): Promise<net.Server> {
	let held: (() => void)[] | null = null;
	let armed = false;
	return serve((socket) =>
		socket.on('data', (data: Buffer) => {
			if (!armed) {
				armed = true;
				setTimeout(() => {
					held = [];
					setTimeout(() => {
						const waiting = held!;
						held = null;
						for (const send of waiting) send();
					}, holdMs);
				}, afterMs);
			}
			if (held) held.push(() => socket.write(data));
			else socket.write(data);
		}),
	);
}

test('loadgen at a fixed rate (-R): each round trip timed from when it was due, so a stall counts in every message it delayed; late messages counted', async (t) => {
	if (typeof loadgen === 'string') return t.skip(loadgen);
	const connections = 4;
	const rate = 100;
	const durationS = 2;
	// A stall of 300 ms, 200 ms into the window; a message is late without its reply in 100 ms.
	const closedServer = await stallingEcho(200, 300);
	const fixedServer = await stallingEcho(200, 300);
	try {
		const common = {connections, durationS, messageTimeoutMs: 100};
		const closed = await run(portOf(closedServer), common);
		const fixed = await run(portOf(fixedServer), {...common, ratePerSec: rate});
		t.diagnostic(
			`closed loop: ${closed.messages} round trips, p90 ${closed.rtt!.p90Ms} ms, max ${closed.rtt!.maxMs} ms, ${closed.errors.messageTimeouts} late; fixed rate: ${fixed.messages}, p90 ${fixed.rtt!.p90Ms} ms, max ${fixed.rtt!.maxMs} ms, ${fixed.errors.messageTimeouts} late`,
		);
		assert.equal(closed.schedule, 'closed-loop');
		assert.equal(fixed.schedule, 'fixed-rate');
		assert.equal(fixed.ratePerSec, rate);
		assert.equal(fixed.messageTimeoutMs, 100);
		// Never more than the schedule: each connection's messages due in the window, and one more.
		assert.ok(
			fixed.messages <= connections * (rate * durationS + 1),
			`${fixed.messages} round trips at ${rate}/s`,
		);
		// The closed loop's connections each had one message held by the stall: at least that many late.
		assert.ok(closed.errors.messageTimeouts >= connections, String(closed.errors.messageTimeouts));
		// At a fixed rate every message due in the stall's first 200 ms waited 100 ms or more for its
		// reply, timed from when it was due: 20 a connection.
		assert.ok(
			fixed.errors.messageTimeouts >= connections * 15,
			`${fixed.errors.messageTimeouts} late at a fixed rate, ${closed.errors.messageTimeouts} in the closed loop`,
		);
		assert.ok(fixed.rtt!.maxMs! >= 250, String(fixed.rtt!.maxMs));
		assert.equal(
			fixed.rtt!.buckets.reduce((sum, [, count]) => sum + count, 0),
			fixed.rtt!.samples,
		);
		assert.equal(fixed.firstReplies, connections);
	} finally {
		closedServer.close();
		fixedServer.close();
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
