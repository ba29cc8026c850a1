/**
 * Entry point of the test-client process, forked by ClientFleet. The clients run here, not in the
 * server's process, so they never share its event loop: a server that blocks cannot slow its own
 * load, and round-trip times are what a separate program would see.
 */
import {NO_ERRORS, type ClientCommand, type ClientReport} from '../server/protocol.js';
import type {HandlerName} from '../server/handler.js';
import {ERROR_FIELD, TestClient, type Schedule, type Target} from './test-client.js';

const REPORT_MS = 250;
/** After `add`, one more report this soon, with the new clients connected. */
const CONNECTED_REPORT_MS = 30;

const send = process.send?.bind(process);
if (!send) {
	console.error('client-process must be started by concurrency-top (it needs an IPC channel)');
	process.exit(1);
}

let target: Target = {host: '127.0.0.1', port: 0};
let ratePerSecond = 1;
let expect: HandlerName | undefined;
let wrongReplies = 0;
let replyHint: string | null = null;
const clients: TestClient[] = [];
let nextId = 1;
let rttMicros: number[] = [];
const errors = {...NO_ERRORS};
let bytesIn = 0;
let maxClients = 0;
let capped = 0;
let schedule: Schedule = 'closed';
let messageTimeoutMs: number | undefined;
let messageTimeouts = 0;
let connectsTotal = 0;

process.on('message', (command: ClientCommand) => {
	switch (command.type) {
		case 'configure': {
			target = {host: command.host, port: command.port};
			ratePerSecond = command.ratePerSecond;
			expect = command.expect;
			maxClients = command.maxClients;
			schedule = command.schedule ?? 'closed';
			messageTimeoutMs = command.messageTimeoutMs;
			break;
		}
		case 'add': {
			// One cap for every source: whoever asks, no more than maxClients exist at once.
			const count = Math.min(command.count, Math.max(0, maxClients - clients.length));
			capped += command.count - count;
			for (let i = 0; i < count; i++) {
				const client = new TestClient(
					nextId++,
					target,
					ratePerSecond,
					(micros) => rttMicros.push(micros),
					{
						onError: (kind) => errors[ERROR_FIELD[kind]]++,
						onData: (bytes) => (bytesIn += bytes),
						onConnect: () => connectsTotal++,
						schedule,
						...(messageTimeoutMs === undefined
							? {}
							: {messageTimeoutMs, onMessageTimeout: () => messageTimeouts++}),
						...(expect
							? {
									expect,
									onWrongReplies: (count: number, hint: string | null) => {
										wrongReplies += count;
										replyHint = hint ?? replyHint;
									},
								}
							: {}),
					},
				);
				clients.push(client);
				client.start();
			}
			// Loopback connects take well under this: the dashboard shows them without waiting a period.
			setTimeout(report, CONNECTED_REPORT_MS);
			break;
		}
		case 'drop': {
			const count = command.count === 'all' ? clients.length : command.count;
			for (const client of clients.splice(Math.max(0, clients.length - count))) client.stop();
			break;
		}
	}
	report();
});

function report(): void {
	const message: ClientReport = {
		type: 'report',
		clients: clients.map((client) => client.status()),
		rttMicros,
		errors: {...errors},
		bytesIn,
		...(expect ? {wrongReplies} : {}),
		...(replyHint === null ? {} : {replyHint}),
		capped,
		connectsTotal,
		messageTimeouts,
	};
	rttMicros = [];
	send!(message);
}

setInterval(report, REPORT_MS);
// The dashboard is gone (quit, crash or SIGKILL): the IPC channel closes, and so do we.
process.on('disconnect', () => process.exit(0));
