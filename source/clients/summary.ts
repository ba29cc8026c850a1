import {formatBytes, formatCount, formatDuration} from '../shared/format.js';
import {histogramBuckets} from '../metrics/latency.js';
import type {ClientsSummary, ClientsView} from './meter.js';

const ms = (value: number | null) => (value === null ? '-' : formatDuration(value));

/** How the `clients` command loaded the server: said in its summary and every JSON line. */
export type ClientsLoad = {
	/**
	 * `closed-loop`: a message goes when the reply before it is back and the rate allows, timed
	 * from its send; `fixed-rate` (`--fixed-rate`): messages are due at the rate, whatever the
	 * replies, and timed from when they were due, so a stall counts in every message it delayed.
	 */
	readonly schedule: 'closed-loop' | 'fixed-rate';
	readonly ratePerSec: number;
	/** A message without its reply this long counts in `errors.messageTimeouts`. */
	readonly timeoutMs: number | undefined;
	readonly warmupS: number;
};

/** The words for the schedule, in the text summary. */
export function scheduleWords(schedule: ClientsLoad['schedule']): string {
	return schedule === 'fixed-rate'
		? 'fixed rate: each round trip timed from when its message was due (--fixed-rate)'
		: 'closed loop: each round trip timed from its send; a stalled server delays the sends it would answer late (--fixed-rate times them from when they were due)';
}

/** Messages without their reply within the timeout, in words: the summary's and the live panel's `late`. */
export function lateWords(messageTimeouts: number, timeoutMs: number | undefined): string {
	return `${messageTimeouts} messages without a reply within ${timeoutMs === undefined ? '-' : formatDuration(timeoutMs)}`;
}

/**
 * The end of `clients --duration`, as autocannon and wrk end a run: latency percentiles, mean and
 * stdev, throughput in messages and bytes, and the errors, over the measured window.
 */
export function formatClientsSummary(summary: ClientsSummary, load: ClientsLoad): string {
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
		`${'late'.padEnd(12)}${lateWords(errors.messageTimeouts, load.timeoutMs)}`,
		'',
		`${summary.roundTrips} round trips in ${summary.durationS.toFixed(1)} s from ${summary.clients} clients to ${summary.target}${load.warmupS > 0 ? ` (after a ${load.warmupS} s warm-up)` : ''}`,
		scheduleWords(load.schedule),
	].join('\n');
}

/**
 * One `clients --json` line: the figures of the last second. `latency` is the round trip (one
 * name in every command); `rtt` is its schema-2 name, kept until 0.3.
 */
export function viewJson(view: ClientsView, load: ClientsLoad): object {
	const {at, rtt, ...rest} = view;
	return {
		at,
		schedule: load.schedule,
		ratePerSec: load.ratePerSec,
		messageTimeoutMs: load.timeoutMs ?? null,
		...rest,
		latency: rtt,
		rtt,
	};
}

/** The summary of the measured window in JSON, with its round trips' histogram. */
export function summaryJson(summary: ClientsSummary, load: ClientsLoad): object {
	const {rtt, histogram, ...rest} = summary;
	// `rtt` is the schema-2 name of `latency` (without the histogram), kept until 0.3.
	return {
		schedule: load.schedule,
		ratePerSec: load.ratePerSec,
		messageTimeoutMs: load.timeoutMs ?? null,
		warmupS: load.warmupS,
		...rest,
		latency: {...rtt, histogram: histogramBuckets(histogram)},
		rtt,
	};
}
