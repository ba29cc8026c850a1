import os from 'node:os';
import type {Systeminformation} from 'systeminformation';
import type {HostFigures, ProcessFigures, SystemCollector} from './figures.js';
import {HELPER, LISTENER_COPIES, type ProcSource} from './proc.js';

type Si = typeof import('systeminformation');
type Listed = Systeminformation.ProcessesProcessData;

/**
 * Where systeminformation gives a process's CPU as a share of the whole machine (from the CPU times
 * of /proc or of Windows): times the cores, it is a share of one core, as top and /proc's figures
 * are. On macOS it is `ps`'s %CPU, already a share of one core.
 */
const SHARE_OF_ALL_CORES = process.platform === 'linux' || process.platform === 'win32';
/** There, systeminformation answers a second call within 0.5 s with the first's result again. */
const CACHE_MS = 500;

/** The `ps` systeminformation runs to list the processes (and the shell it runs it in). */
const LISTING = /(?:^|[\s;/])ps -axo /;

/**
 * The server's processes and the machine, read through systeminformation where there is no /proc
 * (macOS, Windows): each process's RSS and CPU, the machine's CPU and memory. It has no thread count
 * for a process on any platform, so OS threads are null (`n/a`), never a guess. Loaded only when
 * asked ({@link load}, after the first frame): loading it and its first reading take tenths of a
 * second.
 */
export class SystemInformationCollector implements SystemCollector {
	readonly from = 'systeminformation';
	readonly #source: ProcSource;
	#si: Si | null = null;
	#loading: Promise<void> | null = null;
	/** The pids of the last reading: a process's CPU share is known from its second reading on. */
	#seen = new Set<number>();
	#readAt = 0;
	/** The readings under way: a tick that comes while `ps` still runs (a busy machine) shares them. */
	#reading: Promise<ProcessFigures[] | null> | null = null;
	#hostReading: Promise<HostFigures | null> | null = null;

	constructor(source: ProcSource) {
		this.#source = source;
	}

	readonly load = (): Promise<void> => {
		this.#loading ??= import('systeminformation').then((module) => {
			this.#si = module.default;
		});
		return this.#loading;
	};

	processes(): Promise<ProcessFigures[] | null> {
		this.#reading ??= this.#readProcesses().finally(() => {
			this.#reading = null;
		});
		return this.#reading;
	}

	host(): Promise<HostFigures | null> {
		this.#hostReading ??= this.#readHost().finally(() => {
			this.#hostReading = null;
		});
		return this.#hostReading;
	}

	async #readProcesses(): Promise<ProcessFigures[] | null> {
		const si = this.#si;
		if (si === null) return null;
		const root = this.#source.serverPid();
		if (root === null) return [];
		const wait = SHARE_OF_ALL_CORES ? this.#readAt + CACHE_MS + 10 - Date.now() : 0;
		if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
		const {list} = await si.processes();
		this.#readAt = Date.now();
		const tree = this.#tree(list, root);
		const cores = SHARE_OF_ALL_CORES ? os.cpus().length : 1;
		const figures = tree.map((listed): ProcessFigures => ({
			pid: listed.pid,
			name: listed.name,
			threads: null,
			// ps's RSS and Windows' working set, in KiB.
			rssBytes: listed.memRss * 1024,
			cpuPercent: this.#seen.has(listed.pid) ? listed.cpu * cores : null,
		}));
		this.#seen = new Set(tree.map((listed) => listed.pid));
		return figures;
	}

	/**
	 * `root` and its live descendants, `root` first, then by pid: not the test clients' process, nor
	 * the programs run to read the figures (systeminformation's `ps`, our `ss`, async's
	 * listener-copies helper), nor zombies, with all below them.
	 */
	#tree(list: readonly Listed[], root: number): Listed[] {
		const children = new Map<number, Listed[]>();
		for (const listed of list) {
			const siblings = children.get(listed.parentPid) ?? [];
			siblings.push(listed);
			children.set(listed.parentPid, siblings);
		}
		const exclude = this.#source.exclude();
		const first = list.find((listed) => listed.pid === root);
		const found: Listed[] = [];
		const frontier = first ? [first] : [];
		while (frontier.length > 0) {
			const listed = frontier.pop()!;
			const command = `${listed.command} ${listed.params}`;
			if (
				exclude.has(listed.pid) ||
				listed.state === 'zombie' ||
				listed.name === HELPER ||
				LISTING.test(command) ||
				LISTENER_COPIES.test(listed.params.split(' ')[0] ?? '')
			)
				continue;
			found.push(listed);
			frontier.push(...(children.get(listed.pid) ?? []));
		}
		return found.sort((a, b) => Number(b.pid === root) - Number(a.pid === root) || a.pid - b.pid);
	}

	async #readHost(): Promise<HostFigures | null> {
		const si = this.#si;
		if (si === null) return null;
		// The first currentLoad measures over half a second of its own; each later one since the last.
		const [load, memory] = await Promise.all([si.currentLoad(), si.mem()]);
		return {
			cpuPercent: load.currentLoad,
			cores: load.cpus.length,
			memUsedBytes: memory.total - memory.available,
			memTotalBytes: memory.total,
		};
	}
}
