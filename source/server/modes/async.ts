import net, {type Socket} from 'node:net';
import {acceptErrors} from '../connection.js';
import {closeServer, listen} from '../listen.js';
import {acceptOnMain, serveOnMain} from '../main-thread.js';
import type {ModeFactory, ModeEntry} from '../mode.js';

/**
 * Room in the kernel for connections the busy event loop has not accepted yet. With Node's 511, a
 * storm of 1000 connects to a loaded server overflowed the accept queue, and the dropped ones came
 * back only with the client's SYN retry a second later (ListenOverflows in /proc/net/netstat).
 * The kernel caps it at net.core.somaxconn (4096 on current kernels).
 */
const ASYNC_BACKLOG = 4096;

/**
 * The tutorial's asyncio server: one event loop, a callback per readable socket. Every client is
 * served at once, and one slow handler stalls them all.
 */
export const createAsyncMode: ModeFactory = (context) => {
	const {config, emit} = context;
	const sockets = new Set<Socket>();
	const server = net.createServer((socket) => {
		const id = acceptOnMain(context, sockets, socket);
		if (id !== undefined) serveOnMain(context, socket, id);
	});
	return {
		name: 'async',
		start: () => listen(server, config.host, config.port, ASYNC_BACKLOG, acceptErrors(emit)),
		stop: () => closeServer(server, sockets),
	};
};

export const asyncMode: ModeEntry = {
	summary: "one event loop serves every client (Node's asyncio)",
	fdCost: 1,
	tutorial: {
		scalability: 'High (1000s+)',
		complexity: 'Medium',
		bestFor: 'I/O-bound, many connections',
		from: 'table',
	},
	create: createAsyncMode,
};
