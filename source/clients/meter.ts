import {
	EMPTY_SUMMARY,
	LatencyHistogram,
	RoundTrips,
	summarizeMs,
	type HistogramParts,
	type LatencySummary,
} from '../metrics/latency.js';
import {
	NO_ERRORS,
	type ClientPhase,
	type ClientReport,
	type ConnectionErrors,
} from '../server/protocol.js';

/** Failed connects and connections, and messages whose reply came later than the timeout (or never). */
export type ClientErrors = ConnectionErrors & {readonly messageTimeouts: number};

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
	/** Bytes received per second over the last period. */
	readonly bytesPerSec: number;
	/** Failed connects and connections, and timed-out messages, since the clients started. */
	readonly errors: ClientErrors;
	/** Connections established since the clients started: 0 means none ever got through. */
	readonly connectsTotal: number;
	readonly roundTripsTotal: number;
	/** Round trips of the last period, in milliseconds. */
	readonly rtt: LatencySummary;
	/** Connect to first reply, over the clients that have had one on their current connection. */
	readonly firstReply: LatencySummary & {
		/** The longest that a client still without its first reply has waited so far; null: none waits. */
		readonly waitingMs: number | null;
	};
};

/** The summary at the end of `clients --duration`: the measured window after the warm-up. */
export type ClientsSummary = {
	readonly target: string;
	readonly durationS: number;
	readonly clients: number;
	readonly roundTrips: number;
	readonly messagesPerSec: number;
	readonly bytesPerSec: number;
	readonly rtt: LatencySummary;
	/** The measured window's round trips, bucket by bucket (metrics/latency.ts). */
	readonly histogram: Pick<HistogramParts, 'counts'>;
	readonly errors: ClientErrors;
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
	#rates: Pick<ClientsView, 'messagesPerSec' | 'bytesPerSec' | 'rtt'> = {
		messagesPerSec: 0,
		bytesPerSec: 0,
		rtt: EMPTY_SUMMARY,
	};
	#periodBytes = 0;
	/** The measured window of `--duration` (after `--warmup`): everything since `startWindow`. */
	#window: {
		readonly start: number;
		readonly histogram: LatencyHistogram;
		roundTrips: number;
		readonly bytesIn: number;
		readonly errors: ClientErrors;
	} | null = null;

	constructor(target: string, now = Date.now()) {
		this.#target = target;
		this.#periodStart = now;
	}

	apply(report: ClientReport): void {
		this.#periodBytes += (report.bytesIn ?? 0) - (this.#report.bytesIn ?? 0);
		this.#report = report;
		for (const micros of report.rttMicros) this.#rtt.record(micros);
		if (this.#window) {
			for (const micros of report.rttMicros) this.#window.histogram.record(micros);
			this.#window.roundTrips += report.rttMicros.length;
		}
		this.#periodCount += report.rttMicros.length;
		this.#total += report.rttMicros.length;
	}

	roll(now = Date.now()): void {
		const seconds = (now - this.#periodStart) / 1000;
		if (seconds <= 0) return;
		this.#rates = {
			messagesPerSec: this.#periodCount / seconds,
			bytesPerSec: this.#periodBytes / seconds,
			rtt: this.#rtt.roll(),
		};
		this.#periodCount = 0;
		this.#periodBytes = 0;
		this.#periodStart = now;
	}

	/** Starts the measured window: the summary counts from here (the warm-up is over). */
	startWindow(now = Date.now()): void {
		this.#window = {
			start: now,
			histogram: new LatencyHistogram(),
			roundTrips: 0,
			bytesIn: this.#report.bytesIn ?? 0,
			errors: this.#errors(),
		};
	}

	#errors(): ClientErrors {
		return {
			...(this.#report.errors ?? NO_ERRORS),
			messageTimeouts: this.#report.messageTimeouts ?? 0,
		};
	}

	/** The measured window so far, as autocannon sums up a run; null before `startWindow`. */
	summary(now = Date.now()): ClientsSummary | null {
		const window = this.#window;
		if (!window) return null;
		const seconds = Math.max(0.001, (now - window.start) / 1000);
		const errors = this.#errors();
		const since = (key: keyof ClientErrors) => errors[key] - window.errors[key];
		return {
			target: this.#target,
			durationS: seconds,
			clients: this.#report.clients.length,
			roundTrips: window.roundTrips,
			messagesPerSec: window.roundTrips / seconds,
			bytesPerSec: ((this.#report.bytesIn ?? 0) - window.bytesIn) / seconds,
			rtt: window.histogram.summary(),
			histogram: {counts: [...window.histogram.counts]},
			errors: {
				refused: since('refused'),
				resets: since('resets'),
				closed: since('closed'),
				timeouts: since('timeouts'),
				other: since('other'),
				messageTimeouts: since('messageTimeouts'),
			},
		};
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
			bytesPerSec: this.#rates.bytesPerSec,
			errors: this.#errors(),
			connectsTotal: this.#report.connectsTotal ?? 0,
			roundTripsTotal: this.#total,
			rtt: this.#rates.rtt,
			firstReply: {...summarizeMs(firstReplies), waitingMs},
		};
	}
}
