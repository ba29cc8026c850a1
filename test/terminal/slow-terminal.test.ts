/**
 * A terminal that reads slowly (a congested SSH link) must not slow the server that runs in the
 * dashboard's process: frames are written without blocking, at most one in flight, the rest coalesced.
 * The dashboard runs twice in a real pty, once read at full speed and once at 200 bytes every 0.5 s,
 * and an outside client measures echo round trips against each.
 */
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {performance} from 'node:perf_hooks';
import {test, type TestContext} from 'node:test';
import {fileURLToPath} from 'node:url';
import {sleep} from '../helpers/net.js';
import {spawnNode} from '../helpers/pty.js';
import {LineClient} from '../helpers/servers.js';

const CLI = fileURLToPath(new URL('../../cli.js', import.meta.url));
const PROBE_MS = 12_000;
const GIVE_UP_MS = 5000;

function rssMb(pid: number): number {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
}

function p99(samples: number[]): number {
	const sorted = [...samples].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? Infinity;
}

type Run = {p99Ms: number; probes: number; rssStartMb: number; rssEndMb: number; bytes: number};

/** The dashboard at 200x60 with 50 clients, drawn, and a client of its server. */
async function start(t: TestContext) {
	const session = spawnNode(CLI, ['--port', '0', '--clients', '50'], {
		cols: 200,
		rows: 60,
		env: {LANG: 'C.UTF-8'},
	});
	t.after(() => session.dispose());
	await session.waitFor((s) => /Connections 5\d active/.test(s.text()), 30_000);
	const port = Number(/127\.0\.0\.1:(\d+)/.exec(session.text())![1]);
	const client = await LineClient.connect(port);
	t.after(() => client.socket.destroy());
	const samples: number[] = [];
	let i = 0;
	/** One echo round trip, in ms (GIVE_UP_MS when there is no answer). */
	const probe = async (): Promise<void> => {
		const started = performance.now();
		const line = `probe ${i++}`;
		client.send(line);
		let reply = '';
		while (reply !== line) reply = await client.next(GIVE_UP_MS).catch(() => line);
		samples.push(performance.now() - started);
	};
	return {session, probe, samples};
}

test('a slow terminal does not slow the in-process server, and nothing queues in memory', async (t) => {
	// Both at once, probed in turn, so that both see the same load on a busy machine.
	const normal = await start(t);
	const slow = await start(t);
	slow.session.throttle(200, 500);
	// Whole-screen redraws (a resize each) fill the kernel's pty buffer (about 64 KB) at once, as a
	// minute of frames would: the slow run then measures a terminal that is already full.
	for (let i = 0; i < 8; i++) {
		for (const {session} of [normal, slow]) session.resize(i % 2 === 0 ? 199 : 200, 60);
		await sleep(300);
	}
	await sleep(2000);
	const rssStart = [rssMb(normal.session.pid), rssMb(slow.session.pid)];
	const end = Date.now() + PROBE_MS;
	while (Date.now() < end) {
		await Promise.all([normal.probe(), slow.probe()]);
		await sleep(20);
	}
	const run = ({session, samples}: typeof normal, rssStartMb: number): Run => ({
		p99Ms: p99(samples),
		probes: samples.length,
		rssStartMb,
		rssEndMb: rssMb(session.pid),
		bytes: session.bytes,
	});
	const figures = {normal: run(normal, rssStart[0]!), slow: run(slow, rssStart[1]!)};
	for (const [name, figure] of Object.entries(figures)) {
		console.log(
			`${name} terminal: echo p99 ${figure.p99Ms.toFixed(1)} ms over ${figure.probes} probes, RSS ${figure.rssStartMb.toFixed(1)} → ${figure.rssEndMb.toFixed(1)} MB, ${figure.bytes} bytes read from the pty`,
		);
	}
	const {normal: fast, slow: slowed} = figures;
	// Twice the normal terminal's p99, with a floor for a baseline of a millisecond or two.
	assert.ok(
		slowed.p99Ms <= Math.max(2 * fast.p99Ms, 10),
		`echo p99 ${slowed.p99Ms.toFixed(1)} ms with a slow terminal, ${fast.p99Ms.toFixed(1)} ms with a normal one`,
	);
	// Under 100 ms, when the machine gives the normal terminal its usual few milliseconds.
	if (fast.p99Ms < 50) assert.ok(slowed.p99Ms < 100, `slow terminal: p99 ${slowed.p99Ms} ms`);
	const growth = (figure: Run) => figure.rssEndMb - figure.rssStartMb;
	assert.ok(
		growth(slowed) < Math.max(growth(fast), 0) + 16,
		`RSS grew ${growth(slowed).toFixed(1)} MB with a slow terminal, ${growth(fast).toFixed(1)} MB with a normal one`,
	);
});
