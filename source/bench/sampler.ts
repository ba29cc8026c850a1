import {execFile} from 'node:child_process';
import {readFile} from 'node:fs/promises';
import {findDescendants, isToolOfOurs, readProcess} from '../collectors/proc.js';

/** Linux states CPU time in ticks of 1/100 s (USER_HZ, fixed by the kernel ABI). */
const TICKS_PER_SECOND = 100;

export type ProcPeaks = {
	readonly threads: number;
	readonly processes: number;
	readonly rssBytes: number;
};

/**
 * Watches a server's process and its descendants in /proc: the peaks of threads, processes and RSS
 * (summed over the tree), and the CPU time spent between `markStart` and `markEnd`.
 */
export class ProcSampler {
	readonly #root: number;
	readonly #exclude: ReadonlySet<number>;
	#peaks = {threads: 0, processes: 0, rssBytes: 0};
	#ticks = new Map<number, number>();
	#startTicks = new Map<number, number>();
	#timer: NodeJS.Timeout | undefined;
	#running: Promise<void> = Promise.resolve();

	constructor(root: number, exclude: ReadonlySet<number> = new Set()) {
		this.#root = root;
		this.#exclude = exclude;
	}

	get peaks(): ProcPeaks {
		return {...this.#peaks};
	}

	/** Reads the tree once; returns its current RSS. */
	async sample(): Promise<number> {
		const pids = [this.#root, ...(await findDescendants(this.#root))].filter(
			(pid) => !this.#exclude.has(pid),
		);
		const readings = await Promise.all(pids.map((pid) => readProcess(pid)));
		let threads = 0;
		let processes = 0;
		let rssBytes = 0;
		for (const reading of readings) {
			if (!reading || isToolOfOurs(reading)) continue;
			threads += reading.threads;
			processes++;
			rssBytes += reading.rssBytes;
			this.#ticks.set(reading.pid, reading.cpuTicks);
		}
		this.#peaks = {
			threads: Math.max(this.#peaks.threads, threads),
			processes: Math.max(this.#peaks.processes, processes),
			rssBytes: Math.max(this.#peaks.rssBytes, rssBytes),
		};
		return rssBytes;
	}

	start(intervalMs: number): void {
		this.#timer = setInterval(() => {
			this.#running = this.#running.then(() => this.sample().then(() => undefined));
		}, intervalMs);
	}

	async stop(): Promise<void> {
		clearInterval(this.#timer);
		await this.#running;
	}

	async markStart(): Promise<void> {
		await this.sample();
		this.#startTicks = new Map(this.#ticks);
	}

	/**
	 * CPU seconds used by the tree since `markStart`. A process that started in between counts from
	 * zero; one that ended in between counts up to its last sample.
	 */
	async markEnd(): Promise<number> {
		await this.sample();
		let ticks = 0;
		for (const [pid, now] of this.#ticks) ticks += now - (this.#startTicks.get(pid) ?? 0);
		return ticks / TICKS_PER_SECOND;
	}
}

/** CPU seconds used so far by `pids` together (the load workers). */
export async function cpuSecondsOf(pids: readonly number[]): Promise<number> {
	const readings = await Promise.all(pids.map((pid) => readProcess(pid)));
	return readings.reduce((sum, reading) => sum + (reading?.cpuTicks ?? 0), 0) / TICKS_PER_SECOND;
}

/** The machine's busy and total CPU ticks so far, from the first line of /proc/stat. */
export async function hostTicks(): Promise<{busy: number; total: number} | null> {
	try {
		const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!;
		const fields = line.trim().split(/\s+/).slice(1).map(Number);
		const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
		const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
		return {busy: total - idle, total};
	} catch {
		return null;
	}
}

/**
 * The kernel's count of connections dropped because an accept queue was full (TcpExt
 * ListenOverflows in /proc/net/netstat): for the whole network namespace, so a row reads the change.
 */
export async function listenOverflows(): Promise<number | null> {
	try {
		const lines = (await readFile('/proc/net/netstat', 'utf8'))
			.split('\n')
			.filter((line) => line.startsWith('TcpExt:'));
		const names = lines[0]?.split(/\s+/) ?? [];
		const values = lines[1]?.split(/\s+/) ?? [];
		const index = names.indexOf('ListenOverflows');
		return index === -1 ? null : Number(values[index]);
	} catch {
		return null;
	}
}

/**
 * The listen backlog of the listener on `port`, as the kernel holds it (Send-Q of `ss -ltn` for a
 * listening socket; capped by net.core.somaxconn); null where `ss` is missing.
 */
export function readListenBacklog(port: number): Promise<number | null> {
	return new Promise((resolve) => {
		execFile(
			'ss',
			['-Hltn', `sport = :${port}`],
			{timeout: 2000, env: {...process.env, LC_ALL: 'C'}},
			(error, stdout) => {
				const sendQ = Number(stdout.trim().split('\n')[0]?.trim().split(/\s+/)[2]);
				resolve(error || !Number.isFinite(sendQ) || stdout.trim() === '' ? null : sendQ);
			},
		);
	});
}
