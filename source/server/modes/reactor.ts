import type {Socket} from 'node:net';
import {Acceptor} from '../acceptor.js';
import {extraAcceptFds} from '../fd-limit.js';
import type {OutputQueueRow} from '../protocol.js';
import {acceptErrors, closeWhenIdle, connectionReports, StallReport} from '../connection.js';
import {countMessages} from '../handler.js';
import {acceptOnMain} from '../main-thread.js';
import type {ModeContext, ModeFactory, ModeEntry} from '../mode.js';
import {Responder} from '../work.js';

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
	readonly responder: Responder;
	/** False from a write the kernel could not take whole until 'drain': select() would not list it as writable. */
	writable: boolean;
	/** The client shut its write side: the socket is shut too once every reply is written. */
	ended: boolean;
	readonly stall: StallReport;
};

/**
 * The tutorial's select() server made explicit. One loop; sockets are non-blocking (as every Node
 * socket is); a readable socket's reply is appended to that socket's own message queue, and each
 * turn of the loop writes one message to every socket that has some and is writable. Sockets the
 * kernel cannot send to keep their queue, which the dashboard shows.
 */
export const createReactorMode: ModeFactory = (context) => {
	const {config, emit} = context;
	const sockets = new Set<Socket>();
	const outputs = new OutputQueues(context);
	const reporter = setInterval(() => outputs.report(), REPORT_MS);
	reporter.unref();
	// Half-open: Node would otherwise end the socket as soon as the client's FIN is read, and every
	// reply still in the socket's queue would be a write after end, lost (256 KB came back as
	// 131,072 bytes). The reactor ends it itself once its queue is written.
	const acceptor = new Acceptor({allowHalfOpen: true}, (socket) => {
		let entry: Entry | undefined;
		const id = acceptOnMain(context, sockets, socket, {onClose: () => outputs.close(entry!)});
		if (id !== undefined) entry = openEntry(context, outputs, socket, id);
	});
	return {
		name: context.name,
		start: () => acceptor.listen(config.host, config.port, context.backlog, acceptErrors(emit)),
		accepting: () => acceptor.accepting,
		async stop() {
			clearInterval(reporter);
			await acceptor.close(sockets);
			outputs.report();
		},
	};
};

/** Reads a just-accepted socket: each reply joins the socket's queue; 'drain' makes it writable again. */
function openEntry(context: ModeContext, outputs: OutputQueues, socket: Socket, id: number): Entry {
	const {config, traffic, settings, emit} = context;
	socket.setNoDelay(true);
	const reports = connectionReports(id, emit, settings().idleTimeoutMs);
	const responder = new Responder(config.handler, settings, (reply) => {
		if (!socket.destroyed && reply.length > 0) outputs.push(entry, reply);
	});
	const entry: Entry = {
		id,
		socket,
		queue: [],
		bytes: 0,
		responder,
		writable: true,
		ended: false,
		stall: new StallReport(reports.onStall),
	};
	closeWhenIdle(socket, settings().idleTimeoutMs, reports.onIdle);
	socket.on('data', (chunk: Buffer) => {
		traffic.add(id, chunk.length, 0, countMessages(chunk), 0, 1);
		responder.feed(chunk);
		// Replies held back by --delay-ms count as queued: reading waits for them too.
		if (entry.bytes + responder.pendingBytes > QUEUE_HIGH) socket.pause();
	});
	socket.on('drain', () => outputs.drained(entry));
	socket.once('end', () => {
		entry.ended = true;
		outputs.endIfWritten(entry);
	});
	return entry;
}

/**
 * The tutorial's `outputs`: the sockets with replies to write, each with its own queue. One turn of
 * the loop writes one message to each writable socket; their totals are reported every REPORT_MS.
 */
class OutputQueues {
	readonly #context: Pick<ModeContext, 'emit' | 'traffic'>;
	readonly #outputs = new Set<Entry>();
	#bytes = 0;
	#messages = 0;
	#scheduled = false;
	#lastReport = '';

	constructor(context: Pick<ModeContext, 'emit' | 'traffic'>) {
		this.#context = context;
	}

	/** Queues a reply; a socket whose queue passes QUEUE_HIGH is no longer read. */
	push(entry: Entry, reply: Buffer): void {
		entry.queue.push(reply);
		entry.bytes += reply.length;
		this.#bytes += reply.length;
		this.#messages++;
		this.#outputs.add(entry);
		if (entry.bytes > QUEUE_HIGH && !entry.socket.isPaused()) {
			entry.socket.pause();
			entry.stall.set(true);
		}
		this.#schedule();
	}

	/** The kernel took what it could not before: the socket is writable again. */
	drained(entry: Entry): void {
		entry.writable = true;
		if (entry.queue.length > 0) this.#schedule();
	}

	/** The client has shut its write side: shut ours once nothing is left to write to it. */
	endIfWritten(entry: Entry): void {
		if (entry.ended && entry.queue.length === 0 && entry.responder.pendingBytes === 0) {
			entry.socket.end();
		}
	}

	/** The socket closed: its queue goes with it. */
	close(entry: Entry): void {
		entry.stall.set(false);
		entry.responder.close();
		if (!this.#outputs.delete(entry)) return;
		this.#bytes -= entry.bytes;
		this.#messages -= entry.queue.length;
	}

	/** Emits the totals and the TOP longest queues, if they changed since the last report. */
	report(): void {
		const top: OutputQueueRow[] = [];
		for (const entry of this.#outputs) {
			if (top.length < TOP || entry.bytes > top[top.length - 1]![1]) {
				top.push([entry.id, entry.bytes, entry.queue.length]);
				top.sort((a, b) => b[1] - a[1]);
				if (top.length > TOP) top.pop();
			}
		}
		const sockets = this.#outputs.size;
		const key = `${sockets}:${this.#bytes}:${this.#messages}:${top.join(';')}`;
		if (key === this.#lastReport) return;
		this.#lastReport = key;
		const at = Date.now();
		this.#context.emit({
			type: 'output-queues',
			sockets,
			bytes: this.#bytes,
			messages: this.#messages,
			top,
			at,
		});
	}

	#schedule(): void {
		if (this.#scheduled) return;
		this.#scheduled = true;
		setImmediate(() => this.#turn());
	}

	/** One turn of the loop: a message to every writable socket that has one. */
	#turn(): void {
		this.#scheduled = false;
		for (const entry of this.#outputs) {
			if (!entry.writable) continue;
			const data = entry.queue.shift();
			if (data === undefined) {
				this.#outputs.delete(entry);
				continue;
			}
			this.#write(entry, data);
			if (entry.queue.length === 0) {
				this.#outputs.delete(entry);
				this.endIfWritten(entry);
			}
		}
		if (this.#outputs.size > 0) this.#schedule();
	}

	/** Writes one queued message; a socket drained below QUEUE_LOW is read again. */
	#write(entry: Entry, data: Buffer): void {
		entry.bytes -= data.length;
		this.#bytes -= data.length;
		this.#messages--;
		this.#context.traffic.add(entry.id, 0, data.length, 0, countMessages(data));
		if (!entry.socket.write(data)) entry.writable = false;
		if (entry.bytes + entry.responder.pendingBytes <= QUEUE_LOW && entry.socket.isPaused()) {
			entry.stall.set(false);
			entry.socket.resume();
		}
	}
}

export const reactorMode: ModeEntry = {
	summary: 'the select() loop made explicit: per-socket output queues, written when writable',
	backlog: 5,
	benchBacklog: 4096,
	memory: () => 0,
	fdCost: 1,
	fdFixed: extraAcceptFds,
	tutorial: {
		scalability: 'High',
		complexity: 'High',
		bestFor: 'Cross-platform, control needed',
		from: 'table',
	},
	create: createReactorMode,
};
