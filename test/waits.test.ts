/**
 * Where clients wait before a server has them, as the dashboard reads it (collectors/waits.ts) and
 * folds it (the store's pending rows): against a real listener that never accepts, with real test
 * clients, every figure equal to what ss says at that moment.
 */
import assert from 'node:assert/strict';
import {execFileSync, spawn, spawnSync} from 'node:child_process';
import {createInterface} from 'node:readline';
import {test} from 'node:test';
import {ClientFleet} from '../source/clients/fleet.js';
import {
	derivedSynRetries,
	listenCountersIn,
	MAX_SERVER_SIDE,
	parseListenWaits,
	parseServerSide,
	peerName,
	readKernelWaits,
} from '../source/collectors/waits.js';
import {MetricsStore} from '../source/metrics/store.js';
import type {Snapshot} from '../source/metrics/snapshot.js';
import {sleep, waitFor} from './helpers/net.js';

const missing =
	process.platform !== 'linux'
		? 'needs Linux'
		: spawnSync('ss', ['-V'], {stdio: 'ignore'}).status !== 0
			? 'ss (iproute2) is not installed'
			: spawnSync('python3', ['--version'], {stdio: 'ignore'}).status !== 0
				? 'python3 is not installed'
				: null;

// Captured from `ss -Htni state listening state syn-sent '( sport = :38839 or dport = :38839 )'`
// against a listen(1) that never accepts, 3.5 s after five connects; one line of another port.
const CAPTURED = `LISTEN   2      1      127.0.0.1:38839   0.0.0.0:*
\t bbr cwnd:10 unacked:2
LISTEN   0      4096   127.0.0.1:8080   0.0.0.0:*
SYN-SENT 0      1      127.0.0.1:42458 127.0.0.1:38839
\t bbr rto:1000 mss:524 cwnd:1 segs_out:4 unacked:1 retrans:1/3 lost:1 rcv_ssthresh:65495
SYN-SENT 0      1      [::ffff:127.0.0.1]:42466 [::ffff:127.0.0.1]:38839
\t bbr rto:1000 mss:524 cwnd:1 segs_out:1 unacked:1
SYN-SENT 0      1      [::1]:42472 [::1]:38839
\t bbr rto:4000 backoff:2 mss:524 cwnd:1 unacked:1 retrans:1/6 lost:1
`;

test('ss: the listener of the port against its backlog, and each SYN-SENT socket with its SYN retries', () => {
	assert.deepEqual(parseListenWaits(CAPTURED, 38839), {
		acceptQueue: 2,
		backlog: 1,
		synSent: [
			{local: '127.0.0.1:42458', synRetries: 3},
			{local: '127.0.0.1:42466', synRetries: 0},
			{local: '[::1]:42472', synRetries: 6},
		],
	});
	assert.deepEqual(parseListenWaits('', 38839), {acceptQueue: 0, backlog: null, synSent: []});
	assert.equal(peerName('[fe80::1%eth0]:4000'), '[fe80::1]:4000');
	assert.deepEqual(
		parseServerSide(
			'0 0 127.0.0.1:8080 127.0.0.1:40000 ino:0 sk:1 <->\n0 0 127.0.0.1:8080 127.0.0.1:40002 ino:77 sk:2 <->\n',
		),
		new Map([
			['127.0.0.1:40000', false],
			['127.0.0.1:40002', true],
		]),
	);
});

test('/proc/net/netstat: ListenOverflows and ListenDrops; the classic SYN retry times, derived', () => {
	const netstat =
		'TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPHPHits\nTcpExt: 1 20 23 5\nIpExt: InNoRoutes\nIpExt: 0\n';
	assert.deepEqual(listenCountersIn(netstat), {overflows: 20, drops: 23});
	assert.equal(listenCountersIn('IpExt: a\nIpExt: 1\n'), null);
	assert.deepEqual(
		[0, 999, 1000, 2999, 3000, 7000, 15_000, 60_000].map((ms) => derivedSynRetries(ms)),
		[0, 0, 1, 1, 2, 3, 4, 5],
	);
});

/** A listener with listen(5) that never accepts: the tutorial's sequential server while it serves. */
async function stuckListener(): Promise<{port: number; stop: () => void}> {
	const child = spawn(
		'python3',
		[
			'-c',
			"import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(5)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)",
		],
		{stdio: ['ignore', 'pipe', 'inherit']},
	);
	const lines = createInterface({input: child.stdout!});
	const port = await new Promise<number>((resolve, reject) => {
		lines.once('line', (line) => resolve(Number(line)));
		child.once('exit', () => reject(new Error('the listener ended')));
	});
	return {port, stop: () => child.kill('SIGKILL')};
}

function ssLines(...args: string[]): string[] {
	return execFileSync('ss', ['-Htn', ...args], {encoding: 'utf8'})
		.split('\n')
		.filter((line) => line.trim() !== '');
}

/** What ss says of the port now: the listener, the clients' SYN retries, the server's sockets. */
function kernelNow(port: number) {
	const [listener] = ssLines('state', 'listening', `sport = :${port}`);
	const fields = listener!.split(/\s+/);
	const synSent = new Map<string, number>();
	const lines = execFileSync('ss', ['-Htni', 'state', 'syn-sent', `dport = :${port}`], {
		encoding: 'utf8',
	}).split('\n');
	lines.forEach((line, i) => {
		if (line === '' || /^\s/.test(line)) return;
		const retries = Number(/retrans:\d+\/(\d+)/.exec(lines[i + 1] ?? '')?.[1] ?? 0);
		synSent.set(peerName(line.trim().split(/\s+/)[2]!), retries);
	});
	const queued = new Set(
		execFileSync('ss', ['-Htne', 'state', 'established', `sport = :${port}`], {encoding: 'utf8'})
			.split('\n')
			.filter((line) => /\bino:0\b/.test(line))
			.map((line) => peerName(line.trim().split(/\s+/)[3]!)),
	);
	return {acceptQueue: Number(fields[0]), backlog: Number(fields[1]), synSent, queued};
}

test(
	'14 clients against a full listen(5): the kernel queue and the clients kept out, each as ss has it',
	{skip: missing ?? false},
	async () => {
		const listener = await stuckListener();
		const store = new MetricsStore({host: '127.0.0.1', port: listener.port, handler: 'echo'});
		const fleet = new ClientFleet(() => ({host: '127.0.0.1', port: listener.port}), 2, {
			onReport: (report) => store.applyClients(report),
			onExit: () => {},
		});
		let snapshot: Snapshot | undefined;
		let kernel: ReturnType<typeof kernelNow> | undefined;
		try {
			fleet.add(14);
			// The same moment as nearly as two ss runs allow: retried until a SYN retry or a client
			// report does not fall between them (the clients report every 250 ms).
			await waitFor(
				async () => {
					const {acceptQueue, reading} = await readKernelWaits(
						listener.port,
						store.unacceptedClients(MAX_SERVER_SIDE),
					);
					store.setOs({processes: [], acceptQueue});
					store.setKernelWaits(reading);
					snapshot = store.snapshot({offset: 0, limit: 20});
					kernel = kernelNow(listener.port);
					const rows = snapshot.connections.pending ?? [];
					const ok =
						snapshot.clients.total === 14 &&
						snapshot.queue.kernel?.synRetriesMax !== undefined &&
						snapshot.queue.kernel.synRetriesMax > 0 &&
						snapshot.queue.acceptQueue === kernel.acceptQueue &&
						(snapshot.clients.unaccepted ?? 0) === kernel.queued.size &&
						rows.length === 14 &&
						rows.every((row) =>
							row.where === 'kernel queue'
								? kernel!.queued.has(row.local!)
								: row.handshake === 'half-open' ||
									(row.retriesFrom === 'kernel' &&
										row.synRetries === kernel!.synSent.get(row.local!)),
						);
					if (!ok) await sleep(100);
					return ok;
				},
				() =>
					`the store to agree with ss: ${JSON.stringify({
						queue: snapshot?.queue.kernel,
						acceptQueue: snapshot?.queue.acceptQueue,
						clients: snapshot?.clients,
						pending: snapshot?.connections.pending,
						kernel: kernel && {...kernel, synSent: [...kernel.synSent], queued: [...kernel.queued]},
					})}`,
				20_000,
			);
			const queue = snapshot!.queue;
			// listen(5): the kernel holds backlog + 1 completed connections; the rest are kept out.
			assert.equal(queue.kernel!.backlog, 5);
			assert.equal(kernel!.backlog, 5);
			assert.equal(queue.acceptQueue, 6);
			assert.equal(snapshot!.clients.unaccepted, 6);
			assert.equal(snapshot!.clients.connecting, 8);
			assert.equal(
				queue.kernel!.synSent,
				kernel!.synSent.size,
				'every SYN-SENT socket to the port is ours',
			);
			assert.ok(queue.kernel!.listenOverflows! > 0, 'the drops are counted, machine-wide');
			assert.ok(queue.kernel!.listenDrops! >= queue.kernel!.listenOverflows!);
		} finally {
			await fleet.stop();
			listener.stop();
		}
	},
);
