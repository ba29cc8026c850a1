/**
 * A load-generator process for the bench: opens its share of the test clients (the dashboard's own
 * TestClient, in closed loop) and keeps their round trips in a mergeable histogram. Several of these
 * run at once so the clients are not the bottleneck; they report over IPC only when asked.
 */
import {performance} from 'node:perf_hooks';
import {ERROR_FIELD, TestClient} from '../clients/test-client.js';
import {LatencyHistogram} from '../metrics/latency.js';
import type {WorkerCommand, WorkerReply} from './messages.js';

const send = process.send?.bind(process);
if (!send) {
	console.error('load-worker is started by concurrency-top bench');
	process.exit(1);
}

let clients: TestClient[] = [];
const histogram = new LatencyHistogram();
let messages = 0;
let openedAt = 0;
let firstReplies = 0;
let lastFirstReplyAt = 0;
let measureStart = 0;
const errors = {refused: 0, resets: 0, closed: 0, timeouts: 0, other: 0, messageTimeouts: 0};

/**
 * Opens `command.count` clients, in closed loop or at a fixed rate (idle ones send one message, then
 * nothing for a day).
 */
function openClients(command: Extract<WorkerCommand, {type: 'open'}>): void {
	openedAt = performance.now();
	firstReplies = 0;
	lastFirstReplyAt = 0;
	for (const key of Object.keys(errors) as (keyof typeof errors)[]) errors[key] = 0;
	const fixed = !command.idle && (command.ratePerSec ?? null) !== null;
	const rate = command.idle ? 1 / 86_400 : (command.ratePerSec ?? Number.POSITIVE_INFINITY);
	for (let i = 0; i < command.count; i++) {
		const client = new TestClient(
			i + 1,
			{host: command.host, port: command.port},
			rate,
			(micros) => {
				histogram.record(micros);
				messages++;
			},
			{
				depth: command.depth,
				size: command.size,
				onFirstReply: (at) => {
					firstReplies++;
					lastFirstReplyAt = Math.max(lastFirstReplyAt, at);
				},
				onError: (kind) => errors[ERROR_FIELD[kind]]++,
				schedule: fixed ? 'fixed' : 'closed',
				...(command.messageTimeoutMs === undefined
					? {}
					: {
							messageTimeoutMs: command.messageTimeoutMs,
							onMessageTimeout: () => errors.messageTimeouts++,
						}),
			},
		);
		clients.push(client);
		client.start();
	}
}

/** Where the clients are; `collect` adds the histogram of the measured window. */
function statusReply(type: 'status' | 'collect'): WorkerReply {
	let connected = 0;
	for (const client of clients) {
		const {phase} = client.status();
		if (phase === 'waiting' || phase === 'answered') connected++;
	}
	return {
		type,
		clients: clients.length,
		connected,
		firstReplies,
		lastFirstReplyMs: firstReplies > 0 ? lastFirstReplyAt - openedAt : null,
		messages,
		errors: {...errors},
		seconds: (performance.now() - measureStart) / 1000,
		counts: type === 'collect' ? histogram.counts : [],
		maxMicros: histogram.maxMicros,
		sumMicros: type === 'collect' ? histogram.sumMicros : 0,
		sumSquares: type === 'collect' ? histogram.sumSquares : 0,
	};
}

process.on('message', (command: WorkerCommand) => {
	switch (command.type) {
		case 'open': {
			openClients(command);
			break;
		}
		case 'measure': {
			histogram.reset();
			messages = 0;
			errors.messageTimeouts = 0;
			measureStart = performance.now();
			break;
		}
		case 'status':
		case 'collect': {
			reply(statusReply(command.type));
			break;
		}
		case 'close': {
			for (const client of clients) client.stop();
			clients = [];
			// Give the sockets a moment to close, so the next row starts with none of ours open.
			setTimeout(() => reply({type: 'closed'}), 50);
			break;
		}
	}
});

function reply(message: WorkerReply): void {
	send!(message);
}

process.on('disconnect', () => process.exit(0));
