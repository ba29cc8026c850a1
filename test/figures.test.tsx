import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {readdirSync} from 'node:fs';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {Controller} from '../source/live/controller.js';
import {MetricsStore} from '../source/metrics/store.js';
import {parseOptions} from '../source/options/options.js';
import {ConcurrencyPanel} from '../source/ui/panels/concurrency.js';
import {ConnectionsPanel} from '../source/ui/panels/connections.js';
import {TrafficPanel} from '../source/ui/panels/traffic.js';
import {SEQUENTIAL_SNAPSHOT} from './helpers/snapshots.js';
import {waitFor} from './helpers/net.js';
import {LineClient, startHost} from './helpers/servers.js';

const frame = (node: React.ReactElement) => {
	const {lastFrame, unmount} = render(node);
	const text = lastFrame()!;
	unmount();
	return text;
};

test('a shrinking pool shows the live threads, the target and those retiring', () => {
	const server = {
		...SEQUENTIAL_SNAPSHOT.server,
		mode: 'pool',
		settings: {...SEQUENTIAL_SNAPSHOT.server.settings, poolSize: 8},
	};
	const workers = {threads: 12, processes: 0, busy: 12, rows: []};
	const wide = frame(<ConcurrencyPanel server={server} workers={workers} os={null} width={30} />);
	assert.match(wide, /pool +12 → 8, 4 retiring/);
	const narrow = frame(<ConcurrencyPanel server={server} workers={workers} os={null} width={23} />);
	assert.match(narrow, /pool +12→8 4 retiring/);
	const settled = frame(
		<ConcurrencyPanel
			server={server}
			workers={{...workers, threads: 8, busy: 8}}
			os={null}
			width={30}
		/>,
	);
	assert.match(settled, /worker thr +8\/8 busy/);
});

test('where the collector cannot count threads (systeminformation), OS threads read n/a, the rest as read', () => {
	const os = {
		processes: [{pid: 42, name: 'node', threads: null, rssBytes: 80 * 2 ** 20, cpuPercent: 12}],
		acceptQueue: null,
	};
	const workers = {threads: 0, processes: 0, busy: 0, rows: []};
	const text = frame(
		<ConcurrencyPanel server={SEQUENTIAL_SNAPSHOT.server} workers={workers} os={os} width={30} />,
	);
	assert.match(text, /OS threads +n\/a/);
	assert.match(text, /processes +1/);
	assert.match(text, /rss cpu +80M 12%/);
});

test('with the server down, the Connections panel says so and how many clients wait for it', () => {
	const text = frame(
		<ConnectionsPanel
			connections={{...SEQUENTIAL_SNAPSHOT.connections, open: 0, rows: []}}
			width={100}
			rows={3}
			waitingForServer={14}
		/>,
	);
	assert.match(text, /server down: 14 test clients waiting for it · press R to restart it/);
	assert.doesNotMatch(text, /press c to add/);
});

test('the Traffic panel labels lines and reads apart', () => {
	const text = frame(
		<TrafficPanel
			traffic={{...SEQUENTIAL_SNAPSHOT.traffic, messagesInPerSec: 0, readsPerSec: 250}}
			latency={SEQUENTIAL_SNAPSHOT.latency}
			settings={SEQUENTIAL_SNAPSHOT.server.settings}
			width={40}
		/>,
	);
	assert.match(text, /lines\/s in +0 out/);
	assert.match(text, /recv\/s +in +250 B\/s/);
});

for (const mode of ['async', 'pool', 'reactor', 'process'] as const) {
	test(`${mode}: raw bytes without newlines count as reads, not lines`, async () => {
		const {host, port, events} = await startHost(mode);
		const store = new MetricsStore({host: '127.0.0.1', port, handler: 'echo'}, Date.now());
		const client = await LineClient.connect(port);
		try {
			for (let i = 0; i < 5; i++) {
				client.socket.write('x'.repeat(1000));
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
			await waitFor(() => {
				for (const event of events.splice(0)) store.apply(event);
				return store.snapshot({offset: 0, limit: 0}).traffic.bytesInTotal === 5000;
			}, 'all 5000 bytes');
			const {traffic} = store.snapshot({offset: 0, limit: 0});
			// Loopback may merge the writes (Nagle, delayed ACKs): at least one read, at most one per write.
			assert.ok(traffic.readsTotal >= 1 && traffic.readsTotal <= 5, `${traffic.readsTotal} reads`);
			assert.equal(traffic.messagesTotal, 0);
		} finally {
			await client.close();
			await host.stop();
		}
	});
}

test('cluster: each child serves the connections the kernel says it holds, and counts as busy', async (t) => {
	const {host, port, events} = await startHost('cluster');
	const store = new MetricsStore({host: '127.0.0.1', port, handler: 'echo'});
	const clients: LineClient[] = [];
	try {
		for (let i = 0; i < 6; i++) clients.push(await LineClient.connect(port));
		await Promise.all(clients.map(async (client) => assert.equal(await client.ask('c'), 'c')));
		let ss: string;
		try {
			ss = execFileSync('ss', ['-Htnp', 'state', 'established', `sport = :${port}`], {
				encoding: 'utf8',
			});
		} catch {
			t.skip('ss is not installed');
			return;
		}
		const kernel = new Map<number, number>();
		for (const match of ss.matchAll(/pid=(\d+)/g)) {
			const pid = Number(match[1]);
			kernel.set(pid, (kernel.get(pid) ?? 0) + 1);
		}
		await waitFor(() => {
			for (const event of events.splice(0)) store.apply(event);
			return store.snapshot({offset: 0, limit: 0}).connections.open === 6;
		}, 'six connections');
		const {workers} = store.snapshot({offset: 0, limit: 0});
		const ours = new Map<number, number>();
		for (const row of workers.rows) {
			if (row.worker.kind === 'process' && row.connections > 0)
				ours.set(row.worker.pid, row.connections);
		}
		assert.deepEqual(ours, kernel, ss);
		assert.equal(workers.busy, kernel.size);
	} finally {
		await Promise.all(clients.map((client) => client.close()));
		await host.stop();
	}
});

test('the first snapshot already holds the kernel figures: threads, processes, RSS, accept queue', async () => {
	const controller = new Controller(parseOptions({mode: 'async', port: '0', clients: '0'}));
	await controller.start();
	try {
		const {os} = controller.snapshot;
		assert.ok(os, 'a /proc reading before the first frame');
		assert.equal(os.processes[0]?.pid, process.pid);
		assert.ok(os.processes[0]!.rssBytes > 0);
		const threads = readdirSync(`/proc/${process.pid}/task`).length;
		assert.ok(
			Math.abs(os.processes[0]!.threads! - threads) <= 2,
			`${os.processes[0]!.threads} vs ${threads}`,
		);
		assert.equal(os.acceptQueue, 0);
	} finally {
		await controller.stop();
	}
});

test('worker placement: a stopped server process shows as not responding, in the panel and the log, until it resumes', async () => {
	const controller = new Controller(parseOptions({port: '0', placement: 'worker', mode: 'async'}));
	const panel = () =>
		frame(
			<ConcurrencyPanel
				server={controller.snapshot.server}
				workers={controller.snapshot.workers}
				os={null}
				width={34}
			/>,
		);
	const events = () => controller.snapshot.events.map((line) => line.text).join('\n');
	try {
		await controller.start();
		const pid = controller.serverPid!;
		assert.doesNotMatch(panel(), /not responding/);
		process.kill(pid, 'SIGSTOP');
		try {
			await waitFor(
				() => /server not responding for [2-9] s/.test(panel()),
				() => `panel: ${panel()}\nevents: ${events()}`,
			);
			assert.match(events(), new RegExp(`server process ${pid} not responding: no report for`));
		} finally {
			process.kill(pid, 'SIGCONT');
		}
		await waitFor(
			() => !/not responding/.test(panel()) && /responding again after/.test(events()),
			() => `panel: ${panel()}\nevents: ${events()}`,
		);
		assert.equal(controller.snapshot.server.notRespondingMs, null);
	} finally {
		await controller.stop();
	}
});
