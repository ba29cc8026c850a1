/**
 * Each tutorial server of examples/python beside our model of the same name, under the same 14
 * test clients connecting at once: where the clients end up must agree. How many are served (have
 * had a reply), wait accepted inside the server, wait in the kernel's accept queue, and are not
 * connected at all (their SYNs dropped at a full backlog, or half-open: the server has no
 * established socket for them). Everything but the replies is read from the kernel (ss), and so is
 * the listen backlog that bounds the kernel's queue: the tutorial's, 5 for most, 10 for hybrid,
 * asyncio's 100.
 */
import {execFileSync, spawn, spawnSync} from 'node:child_process';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {TestClient} from '../source/clients/test-client.js';
import type {ModeName} from '../source/server/mode.js';
import {DEFAULT_SETTINGS} from '../source/server/settings.js';
import {sleep, waitFor} from './helpers/net.js';
import {startServerProcess} from './helpers/servers.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/python/', import.meta.url));
const CLIENTS = 14;
/** Long enough for the SYN retries (1 s apart at first) to bring in every client a free server takes. */
const SETTLE_MS = 20_000;

const has = (command: string, ...args: string[]) =>
	spawnSync(command, args, {stdio: 'ignore'}).status === 0;
const missing =
	process.platform !== 'linux'
		? 'needs Linux'
		: !has('ss', '-V')
			? 'ss (iproute2) is not installed'
			: !has('python3', '--version')
				? 'python3 is not installed'
				: null;

type Shape = {
	/** The listen backlog as the kernel holds it (the listener's Send-Q). */
	readonly backlog: number;
	/** Clients that have had a reply. */
	readonly served: number;
	/** Accepted (a process holds the socket) and not answered: waiting inside the server. */
	readonly inServer: number;
	/** Completed by the kernel, not accepted: the listener's Recv-Q. */
	readonly kernelQueue: number;
	/** No established socket on the server's side: SYN-SENT, or half-open. */
	readonly notConnected: number;
};

function ss(...args: string[]): string[] {
	return execFileSync('ss', ['-Htn', ...args], {encoding: 'utf8'})
		.split('\n')
		.filter((line) => line.trim() !== '');
}

/** The shape of `clients` against the server on `port`, from their replies and the kernel. */
function shapeOf(port: number, clients: readonly TestClient[]): Shape {
	const established = ss('state', 'established', `sport = :${port}`).length;
	const listener = ss('state', 'listening', `sport = :${port}`);
	const kernelQueue = listener.reduce((sum, line) => sum + Number(line.split(/\s+/)[0]), 0);
	const backlog = Math.max(0, ...listener.map((line) => Number(line.split(/\s+/)[1])));
	const served = clients.filter((client) => client.status().lastRttMs !== null).length;
	return {
		backlog,
		served,
		inServer: established - kernelQueue - served,
		kernelQueue,
		notConnected: clients.length - established,
	};
}

/** Starts 14 clients at once against `port` and waits until their shape is `expected`. */
async function reaches(port: number, expected: Shape, what: string): Promise<void> {
	const clients = Array.from(
		{length: CLIENTS},
		(_, i) => new TestClient(i + 1, {host: '127.0.0.1', port}, 2, () => {}),
	);
	for (const client of clients) client.start();
	let last: Shape | undefined;
	try {
		await waitFor(
			async () => {
				last = shapeOf(port, clients);
				if (JSON.stringify(last) === JSON.stringify(expected)) return true;
				await sleep(200);
				return false;
			},
			() => `${what} to reach ${JSON.stringify(expected)}; last ${JSON.stringify(last)}`,
			SETTLE_MS,
		);
	} finally {
		for (const client of clients) client.stop();
	}
}

/** Runs a tutorial server on a free port; resolves with the port and a way to end it. */
async function startPython(script: string): Promise<{port: number; stop: () => Promise<void>}> {
	const child = spawn('python3', [`${EXAMPLES}${script}`, '--host', '127.0.0.1', '--port', '0'], {
		stdio: 'ignore',
	});
	const stop = async () => {
		if (child.exitCode !== null || child.signalCode !== null) return;
		const ended = new Promise((resolve) => child.once('exit', resolve));
		child.kill('SIGKILL');
		await ended;
	};
	try {
		const port = await waitFor(() => {
			const line = execFileSync('ss', ['-Hltnp'], {encoding: 'utf8'})
				.split('\n')
				.find((each) => each.includes(`pid=${child.pid},`));
			return line ? Number(/:(\d+)\s/.exec(line)![1]) : false;
		}, `${script} to listen`);
		return {port, stop};
	} catch (error) {
		await stop();
		throw error;
	}
}

const pythonCpus = (): number =>
	Number(execFileSync('python3', ['-c', 'import os; print(os.cpu_count())'], {encoding: 'utf8'}));

const allServed = (backlog: number): Shape => ({
	backlog,
	served: CLIENTS,
	inServer: 0,
	kernelQueue: 0,
	notConnected: 0,
});

/** Every model the tutorial has, its server in examples/python, and the shape the tutorial predicts. */
const CASES: readonly {
	readonly mode: ModeName;
	readonly script: string;
	readonly expected: () => Shape;
}[] = [
	{
		mode: 'sequential',
		script: 'sequential_server.py',
		// listen(5): one served, backlog + 1 completed and queued, the rest kept out.
		expected: () => ({backlog: 5, served: 1, inServer: 0, kernelQueue: 6, notConnected: 7}),
	},
	{mode: 'thread', script: 'thread_server.py', expected: () => allServed(5)},
	{mode: 'process', script: 'process_server.py', expected: () => allServed(5)},
	// asyncio.start_server's default backlog.
	{mode: 'async', script: 'asyncio_server.py', expected: () => allServed(100)},
	{mode: 'reactor', script: 'select_server.py', expected: () => allServed(5)},
	{
		mode: 'pool',
		script: 'pool_server.py',
		// max_workers=10: ten served, four accepted and waiting for a worker.
		expected: () => ({backlog: 5, served: 10, inServer: 4, kernelQueue: 0, notConnected: 0}),
	},
	{
		mode: 'hybrid',
		script: 'hybrid_server.py',
		expected: () => {
			const workers = Math.min(50, pythonCpus() + 4, CLIENTS);
			return {
				backlog: 10,
				served: workers,
				inServer: CLIENTS - workers,
				kernelQueue: 0,
				notConnected: 0,
			};
		},
	},
];

for (const {mode, script, expected} of CASES) {
	test(
		`${mode}: 14 clients at once end up where they do with the tutorial's ${script}`,
		{skip: missing ?? false},
		async () => {
			const shape = expected();
			const python = await startPython(script);
			try {
				await reaches(python.port, shape, script);
			} finally {
				await python.stop();
			}
			// Our model in a process of its own, with the tutorial's pool of ten and its own backlog.
			const ours = await startServerProcess(mode, {poolSize: DEFAULT_SETTINGS.poolSize});
			try {
				await reaches(ours.port, shape, `our ${mode}`);
			} finally {
				await ours.runner.stop();
			}
		},
	);
}
