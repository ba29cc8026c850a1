/**
 * A latency histogram that crosses process boundaries: log-spaced buckets (2% wide) of microseconds,
 * as a plain array of counts, so the load workers' histograms merge by adding arrays. perf_hooks'
 * histogram cannot be sent over IPC, and sending every sample would load the channel it measures.
 */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** 1 µs to about 1,000 s. */
export const BUCKETS = Math.ceil(Math.log(1e9) / LOG_GROWTH) + 1;

export type Buckets = number[];

export class LatencyHistogram {
	counts: Buckets = new Array<number>(BUCKETS).fill(0);
	count = 0;
	maxMicros = 0;

	record(micros: number): void {
		const value = Math.max(1, micros);
		const index = Math.min(BUCKETS - 1, Math.floor(Math.log(value) / LOG_GROWTH));
		this.counts[index]!++;
		this.count++;
		if (value > this.maxMicros) this.maxMicros = value;
	}

	reset(): void {
		this.counts.fill(0);
		this.count = 0;
		this.maxMicros = 0;
	}
}

export type LatencySummary = {
	readonly p50Ms: number;
	readonly p99Ms: number;
	readonly maxMs: number;
	readonly samples: number;
};

/** Adds the workers' bucket arrays and reads percentiles (bucket upper bound, at most 2% high). */
export function summarize(
	parts: readonly {counts: Buckets; maxMicros: number}[],
): LatencySummary | null {
	const counts = new Array<number>(BUCKETS).fill(0);
	let samples = 0;
	let maxMicros = 0;
	for (const part of parts) {
		for (let i = 0; i < BUCKETS; i++) counts[i]! += part.counts[i] ?? 0;
		maxMicros = Math.max(maxMicros, part.maxMicros);
	}
	for (const count of counts) samples += count;
	if (samples === 0) return null;
	const percentile = (p: number) => {
		const rank = Math.ceil((p / 100) * samples);
		let seen = 0;
		for (let i = 0; i < BUCKETS; i++) {
			seen += counts[i]!;
			if (seen >= rank) return Math.min(maxMicros, GROWTH ** (i + 1)) / 1000;
		}
		return maxMicros / 1000;
	};
	return {p50Ms: percentile(50), p99Ms: percentile(99), maxMs: maxMicros / 1000, samples};
}
