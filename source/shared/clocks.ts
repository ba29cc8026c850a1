/**
 * The clocks of a source (the dashboard's Controller, watch's WatchSource): ticks, and readings
 * repeated `ms` after each one ends, so two runs of one reading never overlap. A reading that fails
 * is reported and tried again at its next time. stop() ends them all.
 */
export class Clocks {
	readonly #timers = new Set<NodeJS.Timeout>();
	readonly #onError: (error: unknown) => void;
	#stopped = false;

	constructor(onError: (error: unknown) => void) {
		this.#onError = onError;
	}

	get isStopped(): boolean {
		return this.#stopped;
	}

	/** Runs `work` every `ms`. */
	every(ms: number, work: () => void): void {
		this.#timers.add(setInterval(work, ms));
	}

	/** Runs `work` now and then `ms` after each run ends. Resolves when the first run is done. */
	repeat(ms: number, work: () => Promise<void>): Promise<void> {
		return this.#run(ms, work);
	}

	/** Runs `work` in `ms` and then `ms` after each run ends. */
	repeatLater(ms: number, work: () => Promise<void>): void {
		this.#after(ms, () => void this.#run(ms, work));
	}

	/** Ends every clock; false when they had already been ended. */
	stop(): boolean {
		if (this.#stopped) return false;
		this.#stopped = true;
		for (const timer of this.#timers) clearTimeout(timer);
		return true;
	}

	async #run(ms: number, work: () => Promise<void>): Promise<void> {
		try {
			await work();
		} catch (error: unknown) {
			this.#onError(error);
		}
		if (this.#stopped) return;
		this.#after(ms, () => void this.#run(ms, work));
	}

	#after(ms: number, then: () => void): void {
		const timer = setTimeout(() => {
			this.#timers.delete(timer);
			then();
		}, ms);
		this.#timers.add(timer);
	}
}
