import {formatBytes, formatCount, formatDuration} from '../shared/format.js';
import type {ClientsSummary} from './meter.js';

const ms = (value: number | null) => (value === null ? '-' : formatDuration(value));

/**
 * The end of `clients --duration`, as autocannon and wrk end a run: latency percentiles, mean and
 * stdev, throughput in messages and bytes, and the errors, over the measured window.
 */
export function formatClientsSummary(summary: ClientsSummary, warmupS: number): string {
	const {rtt, errors} = summary;
	const latency = [
		['p50', rtt.p50Ms],
		['p90', rtt.p90Ms],
		['p99', rtt.p99Ms],
		['p99.9', rtt.p999Ms],
		['max', rtt.maxMs],
		['mean', rtt.meanMs],
		['stdev', rtt.stdevMs],
	] as const;
	const cell = (text: string) => text.padStart(8);
	return [
		`${'round trip'.padEnd(12)}${latency.map(([name]) => cell(name)).join('')}`,
		`${''.padEnd(12)}${latency.map(([, value]) => cell(ms(value))).join('')}`,
		'',
		`${'throughput'.padEnd(12)}${cell(formatCount(summary.messagesPerSec))} msgs/s ${cell(formatBytes(summary.bytesPerSec))}/s`,
		`${'errors'.padEnd(12)}refused ${errors.refused}  resets ${errors.resets}  closed ${errors.closed}  timeouts ${errors.timeouts}  other ${errors.other}`,
		'',
		`${summary.roundTrips} round trips in ${summary.durationS.toFixed(1)} s from ${summary.clients} clients to ${summary.target}${warmupS > 0 ? ` (after a ${warmupS} s warm-up)` : ''}`,
	].join('\n');
}
