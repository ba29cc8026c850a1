import {EchoThread} from '../echo-thread.js';
import type {ModeFactory, ModeEntry} from '../mode.js';

/** The tutorial's sequential server listens with listen(5): the model's default backlog. */
export const SEQUENTIAL_BACKLOG = 5;

/**
 * The tutorial's problem server: `accept(); handle_client()` in a loop. One thread (a worker, so the
 * dashboard stays responsive) owns the listening socket and serves each client to its end inside
 * the accept callback, blocking: while it serves, nobody is accepted. The others wait where the
 * tutorial's do, in the kernel's accept queue (`ss -ltn` Recv-Q, up to the backlog + 1), and past it
 * their handshakes are dropped and retried by their kernel (ListenOverflows): the server never
 * holds more than the one client it serves.
 */
export const createSequentialMode: ModeFactory = (context) => {
	const {config, emit} = context;
	const thread = EchoThread.forMode(context, {
		onExit: () => {},
		onAccepted: (peer) => {
			const id = context.nextConnectionId();
			emit({type: 'conn-open', id, peer, state: 'active', by: thread.ref, at: Date.now()});
			return id;
		},
		onDone: (id) => emit({type: 'conn-close', id, at: Date.now()}),
	});
	return {
		name: 'sequential',
		start: () => thread.listen(config.host, config.port, context.backlog),
		async stop() {
			thread.unlisten();
			await thread.terminate();
		},
		configure: (settings) => thread.configure(settings),
	};
};

export const sequentialMode: ModeEntry = {
	summary: "one client at a time; the rest wait in the kernel's accept queue (listen(5))",
	backlog: SEQUENTIAL_BACKLOG,
	// One client at a time: the kernel's queue and its drops are the model, in the bench too.
	benchBacklog: SEQUENTIAL_BACKLOG,
	memory: () => 0,
	fdCost: 1,
	tutorial: {
		scalability: 'One at a time',
		complexity: 'Low',
		bestFor: 'Its issue: others wait',
		from: 'text',
	},
	create: createSequentialMode,
};
