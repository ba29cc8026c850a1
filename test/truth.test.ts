/**
 * The truth harness: for every model in both placements, a scripted scenario (clients arrive, some
 * wait, a waiting one leaves, an active one leaves, a worker is crashed, the pool is resized), and
 * after each step the JSON line is compared with what the kernel says at the same moment.
 */
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {readdirSync, readFileSync} from 'node:fs';
import {test} from 'node:test';
import {Controller} from '../source/live/controller.js';
import {toJsonLine} from '../source/metrics/json-output.js';
import {parseOptions} from '../source/options/options.js';
import {MODE_NAMES, type ModeName} from '../source/server/mode.js';
import {hybridPoolSize} from '../source/server/modes/pool.js';
import {sleep, waitFor} from './helpers/net.js';
import {LineClient} from './helpers/servers.js';

const TICK_MS = 200;
/**
 * A figure may lag the kernel by one tick to publish it, after one /proc period to read it (the
 * /proc period equals the tick here), and the reading itself takes a moment on a busy machine.
 */
const LAG_MS = 3 * TICK_MS;
const TIMING = {tickMs: TICK_MS, rollMs: 1000, procMs: TICK_MS, hostMs: 60_000};
const POOL_SIZE = 2;

function hasSs(): boolean {
	try {
		execFileSync('ss', ['-V']);
		return true;
	} catch {
		return false;
	}
}

const comm = (pid: number) => {
	try {
		return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
	} catch {
		return '';
	}
};

function children(pid: number): number[] {
	const found: number[] = [];
	try {
		for (const tid of readdirSync(`/proc/${pid}/task`)) {
			const list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
			if (list !== '') found.push(...list.split(' ').map(Number));
		}
	} catch {
		// Gone while we looked.
	}
	return found;
}

/** The server's process tree; `ss`, run by the dashboard for a moment, is not part of the server. */
function serverProcesses(root: number): number[] {
	const pids = [root];
	for (let at = 0; at < pids.length; at++) pids.push(...children(pids[at]!));
	return pids.filter((pid) => comm(pid) !== 'ss');
}

type Figures = {
	processes: number;
	threads: number;
	established: number;
	acceptQueue: number;
	queued: number;
};

/** What the kernel says now, and the queued count as the clients see it (connected, no reply yet). */
function kernel(root: number, port: number, clients: readonly Client[]): Figures {
	const pids = serverProcesses(root);
	let threads = 0;
	for (const pid of pids) {
		try {
			threads += readdirSync(`/proc/${pid}/task`).length;
		} catch {
			// Ended between the two reads.
		}
	}
	const ss = (args: string[]) =>
		execFileSync('ss', args, {encoding: 'utf8'})
			.split('\n')
			.filter((line) => line.trim() !== '');
	const established = ss(['-Htn', 'state', 'established', `sport = :${port}`]).length;
	const acceptQueue = ss(['-Hltn', `sport = :${port}`]).reduce(
		(sum, line) => sum + Number(line.trim().split(/\s+/)[1]),
		0,
	);
	const queued = clients.filter((client) => !client.line.isClosed && !client.answered).length;
	return {processes: pids.length, threads, established, acceptQueue, queued};
}

function dashboard(controller: Controller): Figures {
	const json = toJsonLine(controller.snapshot);
	return {
		processes: json.processes.count,
		threads: json.threads.os ?? -1,
		established: json.connections.active + json.connections.queued,
		acceptQueue: json.queue.acceptQueue ?? -1,
		queued: json.connections.queued,
	};
}

type Client = {readonly line: LineClient; answered: boolean};

async function arrive(port: number): Promise<Client> {
	const line = await LineClient.connect(port);
	const client: Client = {line, answered: false};
	line.send('hi');
	void line.next(60_000).then(
		() => {
			client.answered = true;
		},
		() => {},
	);
	return client;
}

/**
 * The kernel first settles (two readings a tick apart agree), then the JSON must agree with it
 * within LAG_MS. A step that never settles, or figures that do not follow, fail with both sides.
 */
async function agree(step: string, controller: Controller, clients: readonly Client[]) {
	const port = controller.port;
	const read = () => kernel(controller.serverPid!, port, clients);
	let settled = await waitFor(
		async () => {
			const before = JSON.stringify(read());
			await sleep(TICK_MS);
			const after = read();
			return JSON.stringify(after) === before && after;
		},
		`${step}: the kernel to settle`,
		10_000,
	);
	const deadline = Date.now() + LAG_MS;
	for (;;) {
		const ours = dashboard(controller);
		settled = read();
		if (JSON.stringify(ours) === JSON.stringify(settled)) return;
		if (Date.now() > deadline)
			assert.deepEqual(ours, settled, `${step}: the JSON line (actual) against the kernel`);
		await sleep(20);
	}
}

const WITH_WORKERS = new Set<ModeName>(['thread', 'pool', 'process', 'hybrid', 'cluster']);

async function scenario(controller: Controller, mode: ModeName): Promise<void> {
	await controller.dispatch({type: 'set-mode', mode});
	const port = controller.port;
	const clients: Client[] = [];
	try {
		for (let i = 0; i < 3; i++) clients.push(await arrive(port));
		const serving = mode === 'sequential' ? 1 : mode === 'pool' ? POOL_SIZE : 3;
		await waitFor(
			() => clients.filter((client) => client.answered).length === serving,
			`${mode}: ${serving} answered`,
		);
		await agree(`${mode} three arrived`, controller, clients);
		const waiting = clients.find((client) => !client.answered);
		if (waiting) {
			await waiting.line.close();
			await agree(`${mode} a waiting client left`, controller, clients);
		}
		await clients[0]!.line.close();
		await agree(`${mode} an active client left`, controller, clients);
		if (WITH_WORKERS.has(mode)) {
			await controller.dispatch({type: 'crash-worker'});
			await sleep(TICK_MS);
			await agree(`${mode} a worker crashed`, controller, clients);
		}
		if (mode === 'pool') {
			await controller.dispatch({type: 'resize-pool', by: 1});
			await agree(`${mode} the pool grew`, controller, clients);
		}
	} finally {
		await Promise.all(clients.map((client) => client.line.close()));
	}
}

for (const placement of ['in-process', 'worker'] as const) {
	test(`truth, ${placement}: every model's JSON figures equal the kernel's after each step`, async (t) => {
		if (!hasSs()) {
			t.skip('ss is not installed');
			return;
		}
		assert.ok(hybridPoolSize() > 3, 'hybrid serves three clients at once');
		const controller = new Controller(
			parseOptions({port: '0', clients: '0', placement, poolSize: String(POOL_SIZE)}),
			TIMING,
		);
		await controller.start();
		try {
			for (const mode of MODE_NAMES) await scenario(controller, mode);
		} finally {
			await controller.stop();
		}
	});
}
