import type {EmitEvent} from './protocol.js';
import {startLimit, type SpawnGate} from './spawn-gate.js';

/**
 * Spares grow with the arrival rate, as Apache prefork's do: the most newcomers BURST_SECONDS brought
 * (within the budget) is how many spares are kept from then on, because a worker (a thread, or a
 * `node` child) costs a core 65-150 ms to start, so 84 newcomers beyond 16 spares wait seconds for
 * workers started after they came, however those starts are scheduled. After SHRINK_AFTER_MS with no
 * newcomer the target falls back towards the floor one spare a second, and the spare above it ends,
 * as Apache ends one idle child a second above MaxSpareServers.
 */
export const SHRINK_AFTER_MS = 60_000;
/**
 * Newcomers are counted over this many seconds: a busy server accepts a burst over a few turns of its
 * loop (100 clients at once were accepted over 2-3 s at load 20), and it is the burst that the spares
 * must cover.
 */
export const BURST_SECONDS = 5;
/** How often the spares are looked after (Apache's perform_idle_server_maintenance runs each second). */
const MAINTENANCE_MS = 1000;

/** What a model tells its spares: how to start, wait for and end one of its workers. */
export type SpareWorkers<W> = {
	/** `spare threads`, `spare children`: for the log. */
	readonly what: string;
	/** At rest: kept even with no newcomer for a long time (the budget may allow fewer). */
	readonly floor: number;
	/**
	 * The budget: the model's workers, with those waiting at the gate and the spares queued to start,
	 * stay below it (so never more spares than this).
	 */
	readonly limit: number;
	readonly emit: EmitEvent;
	/** How many workers the model has started, spares and those serving alike. */
	count(): number;
	/** Starts a worker serving no one; undefined when it could not start. */
	start(): W | undefined;
	/** Settles true once `worker` is ready to serve, false if it ended first. */
	ready(worker: W): Promise<boolean>;
	/** Ends an idle spare above the target (an expected end, not replaced). */
	retire(worker: W): void;
};

/**
 * The spare workers of thread and process per client: one pool, as piscina keeps one generic pool.
 * A newcomer takes the oldest ready-or-starting spare, and spares start behind it through the
 * model's gate, `rate` at a time: each start takes a core for 65-150 ms from the workers serving the
 * clients that just took spares, so they start one at a time unless newcomers keep finding none
 * (then twice as many each second, as Apache's idle_spawn_rate).
 */
export class Spares<W> {
	readonly #workers: SpareWorkers<W>;
	readonly #gate: SpawnGate;
	/** The workers' floor within the budget. */
	readonly #floor: number;
	/** Started (ready or starting), serving no one yet, oldest first. */
	readonly #list: W[] = [];
	#running = false;
	/** Spares waiting at the gate for a start slot, not yet started. */
	#queued = 0;
	/** Spares queued or started and not yet ready. */
	#starting = 0;
	#target: number;
	#rate = 1;
	/** Newcomers in each of the last BURST_SECONDS seconds (this one last). */
	readonly #arrivals: number[] = [0];
	/** Newcomers of this second that found no spare. */
	#missed = 0;
	#lastArrival = 0;
	readonly #ready = new Set<W>();
	#maintenance: NodeJS.Timeout | undefined;
	readonly #up: Promise<void>;
	#markUp = () => {};

	constructor(workers: SpareWorkers<W>, gate: SpawnGate) {
		this.#workers = workers;
		this.#gate = gate;
		this.#floor = Math.min(workers.floor, workers.limit);
		this.#target = this.#floor;
		this.#up = new Promise((resolve) => {
			this.#markUp = resolve;
		});
	}

	/** Spares now (starting or ready). */
	get count(): number {
		return this.#list.length;
	}

	/** Spares waiting at the gate to start: they count in the budget. */
	get queued(): number {
		return this.#queued;
	}

	/** Resolves once the floor's spares are ready (or no more can start). */
	get up(): Promise<void> {
		return this.#up;
	}

	isSpare(worker: W): boolean {
		return this.#list.includes(worker);
	}

	/** Starts the floor's spares, and the maintenance each second. */
	start(): void {
		this.#running = true;
		this.#maintenance = setInterval(() => this.#maintain(), MAINTENANCE_MS);
		this.#maintenance.unref();
		this.#topUp();
	}

	/** No spare starts again; those started are the model's to end. */
	stop(): void {
		this.#running = false;
		clearInterval(this.#maintenance);
		this.#list.length = 0;
		this.#markUp();
	}

	/** A newcomer: the oldest spare, or undefined (it waits for a worker of its own). */
	take(): W | undefined {
		this.#arrivals[this.#arrivals.length - 1]!++;
		this.#lastArrival = performance.now();
		const spare = this.#list.shift();
		if (!spare) this.#missed++;
		// With or without one taken: the spare that was starting may have died.
		this.#topUp();
		return spare;
	}

	/** A worker ended: out of the spares if it was one, and one may start in its place. */
	ended(worker: W): void {
		const at = this.#list.indexOf(worker);
		if (at !== -1) this.#list.splice(at, 1);
		// One that never started is not replaced here, or a worker that cannot start would loop.
		if (this.#ready.delete(worker)) this.#topUp();
	}

	/** Keeps #target spares started, within the budget and through the gate, #rate at a time. */
	#topUp(): void {
		if (!this.#running) return;
		while (
			this.#starting < this.#rate &&
			this.#list.length + this.#queued < this.#target &&
			this.#hasRoom(this.#queued)
		) {
			this.#queued++;
			this.#starting++;
			this.#gate.enter(null, async () => {
				// Asked again: newcomers that found no spare may have started workers meanwhile.
				this.#queued--;
				const spare = this.#running && this.#hasRoom(0) ? this.#workers.start() : undefined;
				let ready = false;
				if (spare !== undefined) {
					this.#list.push(spare);
					ready = await this.#workers.ready(spare);
					if (ready) this.#ready.add(spare);
				}
				this.#starting--;
				// A spare that could not start (or found no room) is not retried at once: the next
				// newcomer, ending worker or maintenance tick tries again.
				if (ready) this.#topUp();
				else this.#markUp();
				this.#checkUp();
			});
		}
		this.#checkUp();
	}

	/** Room in the budget for one more worker, with `queued` spares not yet started counted in. */
	#hasRoom(queued: number): boolean {
		return this.#workers.count() + this.#gate.waiting + queued < this.#workers.limit;
	}

	#checkUp(): void {
		const ready = this.#list.filter((spare) => this.#ready.has(spare)).length;
		if (ready >= this.#floor || !this.#hasRoom(this.#queued)) this.#markUp();
	}

	/**
	 * Each second, as Apache's idle-server maintenance: the target follows the arrival rate up and,
	 * after SHRINK_AFTER_MS without newcomers, comes down one a second, ending a spare above it.
	 */
	#maintain(): void {
		const {what, emit} = this.#workers;
		const floor = this.#floor;
		const burst = this.#arrivals.reduce((sum, count) => sum + count, 0);
		if (burst > this.#target && this.#target < this.#workers.limit) {
			this.#target = Math.min(this.#workers.limit, burst);
			emit({
				type: 'log',
				level: 'info',
				text: `${burst} newcomers within ${BURST_SECONDS} s: ${this.#target} ${what} kept from now on (back to ${floor} after ${SHRINK_AFTER_MS / 1000} s without newcomers)`,
				at: Date.now(),
			});
		} else if (this.#target > floor && performance.now() - this.#lastArrival > SHRINK_AFTER_MS) {
			this.#target--;
			const extra = this.#list.length > this.#target ? this.#list.pop() : undefined;
			if (extra !== undefined) this.#workers.retire(extra);
		}
		// Short of spares (newcomers found none, or will): more start at once, doubling each second.
		const short = this.#missed > 0 || this.#list.length + this.#queued < this.#target;
		this.#rate = short ? Math.min(this.#rate * 2, startLimit()) : 1;
		this.#arrivals.push(0);
		if (this.#arrivals.length > BURST_SECONDS) this.#arrivals.shift();
		this.#missed = 0;
		this.#topUp();
	}
}
