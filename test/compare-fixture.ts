import type {CompareSnapshot, RowFigures} from '../source/compare/figures.js';
import {MODE_NAMES} from '../source/server/mode.js';

const MiB = 2 ** 20;

/** Eight rows of made-up but plausible figures: for the exact frame comparisons only. */
function row(index: number): RowFigures {
	const mode = MODE_NAMES[index]!;
	const waiting = mode === 'sequential' ? 13 : mode === 'pool' ? 4 : 0;
	return {
		name: mode,
		kind: 'model',
		mode,
		port: 40_000 + index,
		pid: 1000 + index,
		clients: {total: 14, connected: 14, waiting, answered: 14 - waiting, unanswered: waiting},
		cap: mode === 'thread' ? '128 threads' : mode === 'process' ? '64 processes' : null,
		refusedTotal: 0,
		notRespondingMs: null,
		messagesPerSec: 28 - waiting * 2,
		p50Ms: 0.4 + index / 10,
		p99Ms: 1.2 + index,
		slowestFirstReplyMs:
			mode === 'sequential'
				? 9800
				: mode === 'thread'
					? 1467
					: mode === 'process'
						? 2210
						: 12 + index,
		firstReplyPending: mode === 'sequential',
		serverWaiting: waiting,
		osThreads: mode === 'thread' ? 25 : mode === 'pool' ? 21 : 11,
		processes: mode === 'process' ? 15 : mode === 'cluster' ? 3 : 1,
		rssBytes: (mode === 'process' ? 640 : 50 + index * 10) * MiB,
		cpuPercent: 1 + index,
		loadCpuPercent: mode === 'reactor' ? 97 : 2,
		loadLimited: mode === 'reactor',
		history: Array.from({length: 20}, (_, second) => (second * (index + 1)) % 28),
	};
}

export const EIGHT_ROWS: CompareSnapshot = {
	at: Date.UTC(2026, 10, 30, 7, 0, 0),
	settings: {clients: {min: 14, max: 14}, rate: 2, workMs: 0, delayMs: 0, poolSize: 10},
	rows: MODE_NAMES.map((_, index) => row(index)),
	leftOut: [],
	starting: [],
	notes: [],
};
