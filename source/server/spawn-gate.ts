import os from 'node:os';
import type {Socket} from 'node:net';

/**
 * Workers (threads or child processes) starting at the same time. Each start costs 25-150 ms of a
 * core; started all at once for a storm of connections, they starved the machine and the server
 * answered nothing for a minute after the storm was over.
 */
export function startLimit(): number {
	return Math.max(2, os.availableParallelism() * 2);
}

/** `socket`: the connection the worker is for; null for a spare started ahead of need. */
type Entry = {readonly socket: Socket | null; readonly start: () => Promise<void>};

/**
 * Starts a worker per connection, at most `limit` at a time; the rest wait in arrival order. A
 * connection that ends while it waits leaves the line and never costs a worker: after a storm of
 * connect-and-reset, the server is back to idle as soon as it has accepted the storm, instead of
 * starting a worker for every connection already gone.
 */
export class SpawnGate {
	readonly #limit: number;
	readonly #waiting: Entry[] = [];
	#starting = 0;

	constructor(limit = startLimit()) {
		this.#limit = limit;
	}

	/** Connections waiting for a start slot (a spare waiting is not one). */
	get waiting(): number {
		return this.#waiting.filter((entry) => entry.socket !== null).length;
	}

	/** True when `enter` would start without waiting for a slot. */
	get isFree(): boolean {
		return this.#starting < this.#limit && this.#waiting.length === 0;
	}

	/**
	 * Runs `start` now or when a slot frees; `start` settles once its worker is ready or gone.
	 * `socket` null: a spare, started ahead of need, paced with the rest.
	 */
	enter(socket: Socket | null, start: () => Promise<void>): void {
		const entry = {socket, start};
		this.#waiting.push(entry);
		socket?.once('close', () => {
			const at = this.#waiting.indexOf(entry);
			if (at !== -1) this.#waiting.splice(at, 1);
		});
		// One turn of the loop later, once its first read had a chance to see a reset: a storm
		// accepted from the kernel's queue is mostly connections already gone.
		setImmediate(() => setImmediate(() => this.#dispatch()));
	}

	/** Ends every waiting connection and forgets every waiting spare (the mode is stopping). */
	clear(): void {
		for (const {socket} of this.#waiting.splice(0)) socket?.destroy();
	}

	#dispatch(): void {
		while (this.#starting < this.#limit) {
			const entry = this.#waiting.shift();
			if (!entry) return;
			if (entry.socket?.destroyed) continue;
			this.#starting++;
			void entry.start().finally(() => {
				this.#starting--;
				this.#dispatch();
			});
		}
	}
}
