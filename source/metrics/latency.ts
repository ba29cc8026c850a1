import {createHistogram, type RecordableHistogram} from 'node:perf_hooks';

/** Round-trip figures of one period, in milliseconds; null when no round trip completed. */
export type LatencySummary = {
	readonly p50Ms: number | null;
	readonly p99Ms: number | null;
	readonly maxMs: number | null;
	readonly samples: number;
};

/**
 * Round trips of the current period in a constant-memory histogram (microseconds), summarised and
 * emptied when the period closes.
 */
export class RoundTrips {
	readonly #histogram: RecordableHistogram = createHistogram();

	record(micros: number): void {
		this.#histogram.record(Math.max(1, Math.round(micros)));
	}

	/** The period's p50, p99 and max, and a fresh period. */
	roll(): LatencySummary {
		const histogram = this.#histogram;
		const samples = histogram.count;
		const summary =
			samples === 0
				? {p50Ms: null, p99Ms: null, maxMs: null, samples: 0}
				: {
						p50Ms: histogram.percentile(50) / 1000,
						p99Ms: histogram.percentile(99) / 1000,
						maxMs: histogram.max / 1000,
						samples,
					};
		histogram.reset();
		return summary;
	}
}
