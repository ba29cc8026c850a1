/**
 * The one latency histogram of the program (the dashboard's round trips, the clients command, the
 * bench's load workers): log-spaced buckets 2% wide, of microseconds, as a plain array of counts,
 * so histograms of several processes merge by adding arrays (perf_hooks' histogram cannot cross
 * IPC, and sending every sample would load the channel it measures). Constant memory. The same
 * buckets as bench/loadgen.c.
 */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** 1 µs to about 1,000 s. */
export const BUCKETS = Math.ceil(Math.log(1e9) / LOG_GROWTH) + 1;

/** Percentiles, extremes and moments of a set of durations, in milliseconds; null when there were none. */
export type LatencySummary = {
	readonly samples: number;
	readonly p50Ms: number | null;
	readonly p90Ms: number | null;
	readonly p99Ms: number | null;
	readonly p999Ms: number | null;
	readonly maxMs: number | null;
	readonly meanMs: number | null;
	readonly stdevMs: number | null;
};

/** A histogram's state as it crosses a process boundary. */
export type HistogramParts = {
	readonly counts: readonly number[];
	readonly maxMicros: number;
	readonly sumMicros: number;
	readonly sumSquares: number;
};

export const EMPTY_SUMMARY: LatencySummary = {
	samples: 0,
	p50Ms: null,
	p90Ms: null,
	p99Ms: null,
	p999Ms: null,
	maxMs: null,
	meanMs: null,
	stdevMs: null,
};

export class LatencyHistogram implements HistogramParts {
	counts: number[] = new Array<number>(BUCKETS).fill(0);
	count = 0;
	maxMicros = 0;
	sumMicros = 0;
	sumSquares = 0;

	record(micros: number): void {
		const value = Math.max(1, micros);
		const index = Math.min(BUCKETS - 1, Math.floor(Math.log(value) / LOG_GROWTH));
		this.counts[index]!++;
		this.count++;
		this.sumMicros += value;
		this.sumSquares += value * value;
		if (value > this.maxMicros) this.maxMicros = value;
	}

	reset(): void {
		this.counts.fill(0);
		this.count = 0;
		this.maxMicros = 0;
		this.sumMicros = 0;
		this.sumSquares = 0;
	}

	summary(): LatencySummary {
		return summarize([this]);
	}
}

/**
 * Adds histograms and reads their percentiles (a bucket's upper bound, capped at the maximum: at
 * most 2% high), maximum, mean and standard deviation.
 */
export function summarize(parts: readonly HistogramParts[]): LatencySummary {
	const {counts} = addCounts(parts);
	let maxMicros = 0;
	let sum = 0;
	let squares = 0;
	for (const part of parts) {
		maxMicros = Math.max(maxMicros, part.maxMicros);
		sum += part.sumMicros;
		squares += part.sumSquares;
	}
	const samples = counts.reduce((total, count) => total + count, 0);
	if (samples === 0) return EMPTY_SUMMARY;
	const percentile = (p: number) => {
		const rank = Math.max(1, Math.ceil((p / 100) * samples));
		let seen = 0;
		for (let i = 0; i < BUCKETS; i++) {
			seen += counts[i]!;
			if (seen >= rank) return Math.min(maxMicros, GROWTH ** (i + 1)) / 1000;
		}
		return maxMicros / 1000;
	};
	const mean = sum / samples;
	return {
		samples,
		p50Ms: percentile(50),
		p90Ms: percentile(90),
		p99Ms: percentile(99),
		p999Ms: percentile(99.9),
		maxMs: maxMicros / 1000,
		meanMs: mean / 1000,
		stdevMs: Math.sqrt(Math.max(0, squares / samples - mean * mean)) / 1000,
	};
}

/** The buckets of several histograms added together (runs, processes). */
export function addCounts(parts: readonly Pick<HistogramParts, 'counts'>[]): {counts: number[]} {
	const counts = new Array<number>(BUCKETS).fill(0);
	for (const part of parts) for (let i = 0; i < BUCKETS; i++) counts[i]! += part.counts[i] ?? 0;
	return {counts};
}

/** A histogram's buckets from the non-empty ones as [index, count] pairs (bench/loadgen.c prints them so). */
export function countsFromPairs(pairs: readonly (readonly [number, number])[]): {counts: number[]} {
	const counts = new Array<number>(BUCKETS).fill(0);
	for (const [index, count] of pairs) if (index >= 0 && index < BUCKETS) counts[index] = count;
	return {counts};
}

/** One bucket of a histogram in JSON: this many durations at most `leMs` (and above the bucket before). */
export type HistogramBucket = {readonly leMs: number; readonly count: number};

/**
 * The buckets that hold something, lowest first, each with its upper bound in milliseconds (2%
 * wide, log-spaced: see the top of this file): enough to redraw the distribution or merge runs.
 */
export function histogramBuckets(parts: Pick<HistogramParts, 'counts'>): HistogramBucket[] {
	const buckets: HistogramBucket[] = [];
	parts.counts.forEach((count, index) => {
		if (count > 0) buckets.push({leMs: GROWTH ** (index + 1) / 1000, count});
	});
	return buckets;
}

/** A summary of a list of durations in milliseconds (first replies of a set of clients). */
export function summarizeMs(values: Iterable<number>): LatencySummary {
	const histogram = new LatencyHistogram();
	for (const ms of values) histogram.record(ms * 1000);
	return histogram.summary();
}

/** Round trips of the current period, summarised and emptied when the period closes. */
export class RoundTrips {
	readonly #histogram = new LatencyHistogram();

	record(micros: number): void {
		this.#histogram.record(micros);
	}

	/** The period's figures, and a fresh period. */
	roll(): LatencySummary {
		const summary = this.#histogram.summary();
		this.#histogram.reset();
		return summary;
	}
}
