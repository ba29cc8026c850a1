import {EMPTY_SUMMARY, RoundTrips, summarizeMs, type LatencySummary} from '../metrics/latency.js';
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
	readonly rtt: LatencySummary;
	/** Connect to first reply, over the clients that have had one on their current connection. */
	readonly firstReply: LatencySummary & {
		/** The longest that a client still without its first reply has waited so far; null: none waits. */
		readonly waitingMs: number | null;
	};
};

const PHASES: readonly ClientPhase[] = ['connecting', 'waiting', 'answered', 'reconnecting'];

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
		rtt: EMPTY_SUMMARY,
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
			firstReply: {...summarizeMs(firstReplies), waitingMs},
		};
	}
}
