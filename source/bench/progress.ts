import {formatDuration} from '../shared/format.js';

/**
 * A progress bar with an ETA on stderr, so stdout carries only the result. On a terminal it redraws
 * one line; otherwise it writes a line per step, which reads well in a log.
 */
export class Progress {
	readonly #total: number;
	readonly #estimateMs: number;
	readonly #stream: NodeJS.WriteStream;
	readonly #startedAt = Date.now();
	#done = 0;

	constructor(
		total: number,
		estimateMsPerStep: number,
		stream: NodeJS.WriteStream = process.stderr,
	) {
		this.#total = total;
		this.#estimateMs = estimateMsPerStep;
		this.#stream = stream;
	}

	/** Announces the step about to run. */
	step(label: string): void {
		const elapsed = Date.now() - this.#startedAt;
		const perStep = this.#done > 0 ? elapsed / this.#done : this.#estimateMs;
		const etaMs = perStep * (this.#total - this.#done);
		const width = 20;
		const filled = Math.round((width * this.#done) / Math.max(1, this.#total));
		const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
		const line = `${bar} ${this.#done + 1}/${this.#total} ${label}, ETA ${formatDuration(etaMs)}`;
		if (this.#stream.isTTY)
			this.#stream.write(`\r\u001B[2K${line.slice(0, (this.#stream.columns || 80) - 1)}`);
		else this.#stream.write(`${line}\n`);
	}

	/** The step ended. */
	advance(): void {
		this.#done++;
	}

	finish(): void {
		const line = `done: ${this.#done} steps in ${formatDuration(Date.now() - this.#startedAt)}`;
		if (this.#stream.isTTY) this.#stream.write(`\r\u001B[2K${line}\n`);
		else this.#stream.write(`${line}\n`);
	}
}
