import net, {type Socket} from 'node:net';
import type {OutputQueueRow} from '../protocol.js';
import {
	acceptErrors,
	closeWhenIdle,
	connectionReports,
	formatAddress,
	ignoreSocketErrors,
	StallReport,
} from '../connection.js';
import {countMessages} from '../handler.js';
import {closeServer, listen} from '../listen.js';
import type {ModeFactory, ModeEntry} from '../mode.js';
import {Responder} from '../work.js';

const MAIN = {kind: 'main'} as const;
const REPORT_MS = 100;
/**
 * Above this many reply bytes, queued or waiting on their delay, a socket is no longer read, so a
 * client that never reads (or sends faster than --delay-ms lets it be answered) cannot grow the
 * server without bound.
 */
const QUEUE_HIGH = 1024 * 1024;
const QUEUE_LOW = 256 * 1024;
const TOP = 5;

type Entry = {
	readonly id: number;
	readonly socket: Socket;
	readonly queue: Buffer[];
	bytes: number;
	/** Replies not yet queued: waiting on their delay. */
	readonly responder: {readonly pendingBytes: number};
	/** False from a write the kernel could not take whole until 'drain': select() would not list it as writable. */
	writable: boolean;
	readonly stall: StallReport;
};

/**
 * The tutorial's select() server made explicit. One loop; sockets are non-blocking (as every Node
 * socket is); a readable socket's reply is appended to that socket's own message queue, and each
 * turn of the loop writes one message to every socket that has some and is writable. Sockets the
 * kernel cannot send to keep their queue, which the dashboard shows.
 */
export const createReactorMode: ModeFactory = (context) => {
	const {config, emit, nextConnectionId, traffic, settings, admit} = context;
	const sockets = new Set<Socket>();
	/** The tutorial's `outputs`: sockets with replies to write. */
	const outputs = new Set<Entry>();
	let queuedBytes = 0;
	let queuedMessages = 0;
	let scheduled = false;
	let lastReport = '';

	const turn = () => {
		scheduled = false;
		for (const entry of outputs) {
			if (!entry.writable) continue;
			const data = entry.queue.shift();
			if (data === undefined) {
				outputs.delete(entry);
				continue;
			}
			entry.bytes -= data.length;
			queuedBytes -= data.length;
			queuedMessages--;
			traffic.add(entry.id, 0, data.length, 0, countMessages(data));
			if (!entry.socket.write(data)) entry.writable = false;
			if (entry.bytes + entry.responder.pendingBytes <= QUEUE_LOW && entry.socket.isPaused()) {
				entry.stall.set(false);
				entry.socket.resume();
			}
			if (entry.queue.length === 0) outputs.delete(entry);
		}
		if (outputs.size > 0) schedule();
	};

	const schedule = () => {
		if (scheduled) return;
		scheduled = true;
		setImmediate(turn);
	};

	const forget = (entry: Entry) => {
		if (!outputs.delete(entry)) return;
		queuedBytes -= entry.bytes;
		queuedMessages -= entry.queue.length;
	};

	const report = () => {
		const top: OutputQueueRow[] = [];
		for (const entry of outputs) {
			if (top.length < TOP || entry.bytes > top[top.length - 1]![1]) {
				top.push([entry.id, entry.bytes, entry.queue.length]);
				top.sort((a, b) => b[1] - a[1]);
				if (top.length > TOP) top.pop();
			}
		}
		const key = `${outputs.size}:${queuedBytes}:${queuedMessages}:${top.join(';')}`;
		if (key === lastReport) return;
		lastReport = key;
		emit({
			type: 'output-queues',
			sockets: outputs.size,
			bytes: queuedBytes,
			messages: queuedMessages,
			top,
			at: Date.now(),
		});
	};
	const reporter = setInterval(report, REPORT_MS);
	reporter.unref();

	const server = net.createServer((socket) => {
		if (!admit(socket)) return;
		const id = nextConnectionId();
		sockets.add(socket);
		ignoreSocketErrors(socket);
		socket.setNoDelay(true);
		const reports = connectionReports(id, emit, settings().idleTimeoutMs);
		const responder = new Responder(config.handler, settings, (reply) => {
			if (socket.destroyed || reply.length === 0) return;
			entry.queue.push(reply);
			entry.bytes += reply.length;
			queuedBytes += reply.length;
			queuedMessages++;
			outputs.add(entry);
			if (entry.bytes > QUEUE_HIGH && !socket.isPaused()) {
				socket.pause();
				entry.stall.set(true);
			}
			schedule();
		});
		const entry: Entry = {
			id,
			socket,
			queue: [],
			bytes: 0,
			responder,
			writable: true,
			stall: new StallReport(reports.onStall),
		};
		closeWhenIdle(socket, settings().idleTimeoutMs, reports.onIdle);
		const peer = formatAddress(socket.remoteAddress, socket.remotePort);
		emit({type: 'conn-open', id, peer, state: 'active', by: MAIN, at: Date.now()});
		socket.on('data', (chunk: Buffer) => {
			traffic.add(id, chunk.length, 0, countMessages(chunk), 0, 1);
			responder.feed(chunk);
			// Replies held back by --delay-ms count as queued: reading waits for them too.
			if (entry.bytes + responder.pendingBytes > QUEUE_HIGH) socket.pause();
		});
		socket.on('drain', () => {
			entry.writable = true;
			if (entry.queue.length > 0) schedule();
		});
		socket.once('close', () => {
			entry.stall.set(false);
			responder.close();
			forget(entry);
			sockets.delete(socket);
			emit({type: 'conn-close', id, at: Date.now()});
		});
	});

	return {
		name: context.name,
		start: () => listen(server, config.host, config.port, undefined, acceptErrors(emit)),
		async stop() {
			clearInterval(reporter);
			await closeServer(server, sockets);
			report();
		},
	};
};

export const reactorMode: ModeEntry = {
	summary: 'the select() loop made explicit: per-socket output queues, written when writable',
	fdCost: 1,
	create: createReactorMode,
};
