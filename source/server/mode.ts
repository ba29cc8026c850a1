import os from 'node:os';
import type {Socket} from 'node:net';
import type {ClusterAccept, EmitEvent, ServerSettings} from './protocol.js';
import type {TrafficCounter, WorkerBudget} from './connection.js';
import type {HandlerName} from './handler.js';
import {fdConnectionCap, openFileLimit} from './fd-limit.js';
import type {ModeName} from './mode-names.js';
import {addressSpaceLimit, addressSpaceUsed} from '../shared/address-space.js';

export {MODE_NAMES, type ModeName} from './mode-names.js';

export type ServerConfig = {
	readonly host: string;
	/** 0 asks the kernel for a free port. */
	readonly port: number;
	readonly handler: HandlerName;
	/** Cluster: how its children get their connections (default round-robin). */
	readonly clusterAccept?: ClusterAccept;
	/**
	 * --backlog: the listen backlog every listening socket of the server asks for; absent or null:
	 * each model's own (ModeEntry.backlog), so a switch of model takes the new model's.
	 */
	readonly backlog?: number | null;
};

/** A running server in one concurrency model. */
export type ServerMode = {
	readonly name: ModeName;
	/** Listens and resolves with the bound port. */
	start(): Promise<number>;
	/**
	 * Resolves once the model accepts with all it will accept with (acceptor.ts: handles that join
	 * after `start`); absent when `start` is already all.
	 */
	accepting?(): Promise<void>;
	/** Stops accepting, ends every connection and everything the mode started; resolves when all are gone. */
	stop(): Promise<void>;
	/** The settings changed: pass them on to workers and children, resize pools. */
	configure?(settings: ServerSettings): void;
	/**
	 * Crashes one worker thread or kills one child process (SIGKILL), the busiest-looking first, to
	 * show what a crash takes down; returns what it hit, or null if the model has none.
	 */
	crashWorker?(): string | null;
	/** Thread and process per client: the workers they start before they refuse connections. */
	readonly budget?: WorkerBudget;
	/** Cluster: how its children get their connections. */
	readonly accept?: ClusterAccept;
};

export type ModeContext = {
	readonly name: ModeName;
	readonly config: ServerConfig;
	/** The listen backlog to pass to every listen() of the model: --backlog, or the model's own. */
	readonly backlog: number;
	readonly emit: EmitEvent;
	/** Connection ids are unique across mode switches, so the store never confuses two connections. */
	readonly nextConnectionId: () => number;
	/** Where the mode counts bytes and messages; the host flushes it into `traffic` events. */
	readonly traffic: TrafficCounter;
	/** The current settings; read them when needed rather than keeping a copy. */
	readonly settings: () => ServerSettings;
	/**
	 * Applies --max-connections to a just-accepted socket: false means it was refused (closed, and
	 * the event sent), and the mode must forget it.
	 */
	readonly admit: (socket: Socket) => boolean;
};

/** About 8 MB of RSS per worker thread, measured (bench/thread-cost.ts); 10 MB keeps a margin. */
export const THREAD_COST_BYTES = 10 * 2 ** 20;
/** About 42 MB of RSS per Node child process (8.5 MB of it private); 50 MB keeps a margin. */
export const PROCESS_COST_BYTES = 50 * 2 ** 20;

/** What a thread or child process per client may have at most, and why that many. */
export type {WorkerBudget} from './connection.js';

export type WorkerCost = {
	/** `threads`, `child processes`. */
	readonly what: string;
	/** RSS each, measured (with a margin). */
	readonly bytes: number;
	/** How many a core can keep answering: each start costs a core 25-150 ms, and each lives on. */
	readonly perCore: number;
	/** File descriptors each costs the server (the model's ModeEntry.fdCost). */
	readonly fds: number;
};

/**
 * The default budget is the smallest of: a quarter of the machine's memory at `cost.bytes` each,
 * `cost.perCore` per core, and the fd limit less headroom at `cost.fds` each. Beyond it thread and
 * process per client refuse connections, so adding clients shows the model's cost and does not
 * take the machine down with it. `--max-workers` replaces it.
 */
export function workerBudget(
	cost: WorkerCost,
	override: number | null | undefined,
	fdLimit = openFileLimit(),
): WorkerBudget {
	const budget = budgetBeforeAddressSpace(cost, override, fdLimit);
	const byAddressSpace = threadsInAddressSpace(cost);
	if (byAddressSpace === null || byAddressSpace >= budget.limit) return budget;
	const limit = addressSpaceLimit()!;
	const gib = Math.round((limit / 2 ** 30) * 10) / 10;
	const each = Math.round(THREAD_ADDRESS_SPACE_BYTES / 2 ** 20);
	return {
		limit: byAddressSpace,
		what: cost.what,
		why: `ulimit -v ${gib} GiB at ${each} MB a thread`,
	};
}

function budgetBeforeAddressSpace(
	cost: WorkerCost,
	override: number | null | undefined,
	fdLimit: number | null,
): WorkerBudget {
	if (override) return {limit: override, what: cost.what, why: `--max-workers ${override}`};
	const byMemory = Math.floor(os.totalmem() / 4 / cost.bytes);
	const cores = os.availableParallelism();
	const byCores = cost.perCore * cores;
	const byFds = fdLimit === null ? Infinity : fdConnectionCap(fdLimit, cost.fds);
	const limit = Math.max(1, Math.min(byMemory, byCores, byFds));
	const why =
		limit === byCores
			? `${cost.perCore} per core × ${cores}`
			: limit === byMemory
				? `a quarter of ${Math.round(os.totalmem() / 2 ** 30)} GB`
				: `ulimit -n ${fdLimit}`;
	return {limit, what: cost.what, why};
}

/**
 * Address space (VmSize) one worker thread reserves, measured with the thread entry: 615 MB, V8's
 * 512 MB code range most of it (a Worker with resourceLimits.codeRangeSizeMb 16 reserved 119 MB).
 * Under `ulimit -v` (`prlimit --as`) a thread beyond the limit does not fail alone: V8 aborts the
 * whole process ("Failed to reserve virtual memory for CodeRange", exit 133), so threads are
 * budgeted against the address space left, as against memory, cores and fds.
 */
export const THREAD_ADDRESS_SPACE_BYTES = 640 * 2 ** 20;

/**
 * How many more threads fit in this process's address-space limit, if it has one; null when none
 * applies (no limit, or workers that are processes: each child has a limit of its own).
 */
let baseAddressSpace: number | undefined;

function threadsInAddressSpace(cost: WorkerCost): number | null {
	if (cost.what !== 'threads') return null;
	const limit = addressSpaceLimit();
	if (limit === null) return null;
	// Read once, before any thread: read later, the threads already running would count twice.
	baseAddressSpace ??= addressSpaceUsed() ?? 0;
	const used = baseAddressSpace;
	// A margin for the main thread's own growth (heap, buffers) besides the threads.
	const margin = THREAD_ADDRESS_SPACE_BYTES;
	return Math.max(1, Math.floor((limit - used - margin) / THREAD_ADDRESS_SPACE_BYTES));
}

export type ModeFactory = (context: ModeContext) => ServerMode;

/** What --backlog accepts: the kernel caps it at net.core.somaxconn anyway. */
export const MAX_BACKLOG = 65_535;

/** The backlog a model listens with under `config`: --backlog if given, else the model's own. */
export function backlogOf(entry: Pick<ModeEntry, 'backlog'>, config: ServerConfig): number {
	return config.backlog ?? entry.backlog;
}

/**
 * One model, as the registry (modes/index.ts) lists it: everything the rest of the program needs to
 * know about it comes from here. Its number key is its place in MODE_NAMES.
 */
export type ModeEntry = {
	/** One line: `--help` and the help overlay say it. */
	readonly summary: string;
	/**
	 * File descriptors one connection costs the process that accepts it, measured with 20 clients:
	 * the fd cap divides the limit by it. Cluster children accept for themselves.
	 */
	readonly fdCost: number;
	/** File descriptors the model holds under `ulimit -n` `fdLimit` however many connections it has (async's extra accept handles); none if absent. */
	readonly fdFixed?: (fdLimit: number) => number;
	/**
	 * The listen backlog of the tutorial's server of this model (5 for most, hybrid's listen(10),
	 * asyncio's default 100, Node's 511 for cluster): the default of --backlog. The kernel queues
	 * that many completed connections (and one more) that the server has not accepted; beyond it,
	 * it drops the SYNs and the clients retry them at 1, 3, 7, 15 s...
	 */
	readonly backlog: number;
	/**
	 * The backlog `bench` gives the model's server (its --backlog) and the plain baseline of its row,
	 * so that a storm's dropped connects are the model's doing, not the backlog's: not the tutorial's
	 * `backlog` above, with which 100 clients connecting at once overflow the accept queue and wait
	 * for SYN retries. The figures in docs/bench.md were measured with these; a bench test reads the
	 * real backlogs with `ss`.
	 */
	readonly benchBacklog: number;
	/**
	 * RSS the model adds to its server process with `clients` connected, at the costs the models
	 * budget with (THREAD_COST_BYTES, PROCESS_COST_BYTES): compare's memory budget adds it up.
	 */
	readonly memory: (clients: number, machine: ModelMachine) => number;
	/** A pool the model sizes itself, which + and - do not resize: its formula, and its size. */
	readonly fixedPool?: {readonly formula: string; readonly size: (cores: number) => number};
	/** What the tutorial says of the model; compare shows it beside the measured row. */
	readonly tutorial: TutorialOpinion;
	readonly create: ModeFactory;
};

/** What a model's memory depends on besides its clients: the pool model's size, and the cores. */
export type ModelMachine = {readonly poolSize: number; readonly cores: number};

/**
 * What the tutorial (seed/handling-multiple-clients.md) says of a model: its "Comparison" table's
 * words for it, or, for a model it only describes in prose or not at all, the nearest words of its
 * text, marked `text`.
 */
export type TutorialOpinion = {
	readonly scalability: string;
	readonly complexity: string;
	readonly bestFor: string;
	/**
	 * `table`: a row of the tutorial's comparison table; `text`: from its prose, the table has no row;
	 * `absent`: the tutorial does not mention the model, and the words only say so.
	 */
	readonly from: 'table' | 'text' | 'absent';
};
