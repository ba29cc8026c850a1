import type {Socket} from 'node:net';
import {Acceptor} from '../acceptor.js';
import {extraAcceptFds} from '../fd-limit.js';
import {acceptErrors} from '../connection.js';
import {acceptOnMain, serveOnMain} from '../main-thread.js';
import type {ModeFactory, ModeEntry} from '../mode.js';

/**
 * The tutorial's asyncio server: one event loop, a callback per readable socket. Every client is
 * served at once, and one slow handler stalls them all.
 */
export const createAsyncMode: ModeFactory = (context) => {
	const {config, emit} = context;
	const sockets = new Set<Socket>();
	const acceptor = new Acceptor({}, (socket) => {
		const id = acceptOnMain(context, sockets, socket);
		if (id !== undefined) serveOnMain(context, socket, id);
	});
	return {
		name: 'async',
		start: () => acceptor.listen(config.host, config.port, context.backlog, acceptErrors(emit)),
		accepting: () => acceptor.accepting,
		stop: () => acceptor.close(sockets),
	};
};

export const asyncMode: ModeEntry = {
	summary: "one event loop serves every client (Node's asyncio)",
	backlog: 100,
	benchBacklog: 4096,
	memory: () => 0,
	fdCost: 1,
	fdFixed: extraAcceptFds,
	tutorial: {
		scalability: 'High (1000s+)',
		complexity: 'Medium',
		bestFor: 'I/O-bound, many connections',
		from: 'table',
	},
	create: createAsyncMode,
};
