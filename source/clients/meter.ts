import {RoundTrips} from '../metrics/latency.js';
import type {ClientPhase, ClientReport} from '../protocol.js';

/** What the `clients` command shows: the test clients' own view of a server they do not run. */
export type ClientsView = {
	readonly at: number;
	readonly target: string;
	readonly clients: {
		readonly total: number;
		readonly connected: number;
		/** Connected but still without a reply. */
		readonly waiting: number;
		readonly phases: Readonly<Record<ClientPhase, number>>;
	};
	/** Round trips completed per second over the last period: each is one message out and its reply. */
	readonly messagesPerSec: number;
	readonly roundTripsTotal: number;
	/** Round trips of the last period, in milliseconds. */
	readonly rtt: {
		readonly p50Ms: number | null;
		readonly p99Ms: number | null;
		readonly maxMs: number | null;
		readonly samples: number;
	};
	/** Connect to first reply, over the clients that have had one on their current connection. */
	readonly firstReply: {
		readonly p50Ms: number | null;
		readonly p99Ms: number | null;
		readonly maxMs: number | null;
		readonly count: number;
		/** The longest that a client still without its first reply has waited so far; null: none waits. */
		readonly waitingMs: number | null;
	};
};

const PHASES: readonly ClientPhase[] = ['connecting', 'waiting', 'answered', 'reconnecting'];

function percentile(sorted: readonly number[], p: number): number | null {
	if (sorted.length === 0) return null;
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Folds the client process's reports into per-second figures; `roll` closes a period. */
export class ClientsMeter {
	readonly #target: string;
	readonly #rtt = new RoundTrips();
	#report: ClientReport = {type: 'report', clients: [], rttMicros: []};
	#periodStart: number;
	#periodCount = 0;
	#total = 0;
	#rates: Pick<ClientsView, 'messagesPerSec' | 'rtt'> = {
		messagesPerSec: 0,
		rtt: {p50Ms: null, p99Ms: null, maxMs: null, samples: 0},
	};

	constructor(target: string, now = Date.now()) {
		this.#target = target;
		this.#periodStart = now;
	}

	apply(report: ClientReport): void {
		this.#report = report;
		for (const micros of report.rttMicros) this.#rtt.record(micros);
		this.#periodCount += report.rttMicros.length;
		this.#total += report.rttMicros.length;
	}

	roll(now = Date.now()): void {
		const seconds = (now - this.#periodStart) / 1000;
		if (seconds <= 0) return;
		this.#rates = {messagesPerSec: this.#periodCount / seconds, rtt: this.#rtt.roll()};
		this.#periodCount = 0;
		this.#periodStart = now;
	}

	view(now = Date.now()): ClientsView {
		const phases = Object.fromEntries(PHASES.map((phase) => [phase, 0])) as Record<
			ClientPhase,
			number
		>;
		const firstReplies: number[] = [];
		let waiting = 0;
		let waitingMs: number | null = null;
		for (const client of this.#report.clients) {
			phases[client.phase]++;
			if (client.phase === 'waiting' && client.lastRttMs === null) {
				waiting++;
				if (client.connectedAt !== null) {
					waitingMs = Math.max(waitingMs ?? 0, now - client.connectedAt);
				}
			}
			if (client.firstReplyMs !== null) firstReplies.push(client.firstReplyMs);
		}
		firstReplies.sort((a, b) => a - b);
		return {
			at: now,
			target: this.#target,
			clients: {
				total: this.#report.clients.length,
				connected: phases.waiting + phases.answered,
				waiting,
				phases,
			},
			messagesPerSec: this.#rates.messagesPerSec,
			roundTripsTotal: this.#total,
			rtt: this.#rates.rtt,
			firstReply: {
				p50Ms: percentile(firstReplies, 50),
				p99Ms: percentile(firstReplies, 99),
				maxMs: firstReplies.at(-1) ?? null,
				count: firstReplies.length,
				waitingMs,
			},
		};
	}
}
