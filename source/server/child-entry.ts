/**
 * Entry point of a child process of the process and cluster models. The child owns its sockets
 * (passed as handles), computes replies (and spends the per-message CPU work) here, and reports
 * traffic to the parent over IPC. It ends when the parent's IPC channel closes.
 */
import net, {type Socket} from 'node:net';
import type {ChildCommand, ChildReport, ServerSettings} from './protocol.js';
import {formatAddress, ignoreSocketErrors, serveSocket, TrafficCounter} from './connection.js';
import {DEFAULT_SETTINGS} from './settings.js';
import {fdConnectionCap, openFileLimit} from './fd-limit.js';
import {STORM_BACKLOG} from './listen.js';
import {collectWhenQuiet} from './quiet-gc.js';

const FLUSH_MS = 100;

const send = process.send?.bind(process);
if (!send) {
	console.error('child-entry must be forked by concurrency-top (it needs an IPC channel)');
	process.exit(1);
}
const report = (message: ChildReport, callback?: () => void) => {
	if (process.connected) send(message, undefined, {}, callback ? () => callback() : undefined);
	else callback?.();
};

let settings: ServerSettings = DEFAULT_SETTINGS;
const traffic = new TrafficCounter();
const flush = () => {
	const deltas = traffic.flush();
	if (deltas.length > 0) report({type: 'traffic', deltas});
};
setInterval(flush, FLUSH_MS).unref();
collectWhenQuiet();

/** Process per client: one socket, and the process ends with it. */
function serveOne(id: number, handler: 'echo' | 'upper', socket: Socket): void {
	ignoreSocketErrors(socket);
	report({type: 'owned', id});
	serveSocket(socket, {
		id,
		handler,
		traffic,
		settings: () => settings,
		onStall: (stalled) => report({type: 'stall', id, stalled}),
		onIdle: () => report({type: 'idle-closed', id}),
	});
	socket.once('close', () => {
		flush();
		report({type: 'traffic', deltas: []}, () => process.exit(0));
	});
	socket.resume();
}

let localIds = 0;
let cluster: {server: net.Server; size: number} | undefined;

/** This child's share of --max-connections (Node refuses beyond it, and says so with 'drop'). */
function applyLimit(): void {
	if (!cluster) return;
	const max = settings.maxConnections;
	const share = max === null ? Infinity : Math.max(1, Math.ceil(max / cluster.size));
	// Each child has its own fd limit: beyond its cap it refuses rather than meet EMFILE.
	const limit = openFileLimit();
	cluster.server.maxConnections = Math.min(
		share,
		limit === null ? Infinity : fdConnectionCap(limit),
	);
}

/** Cluster: accept from the shared listening socket, as every pre-forked worker does. */
function serveCluster(command: Extract<ChildCommand, {type: 'cluster'}>): void {
	const server = net.createServer((socket) => {
		const local = ++localIds;
		ignoreSocketErrors(socket);
		report({
			type: 'conn-open',
			local,
			peer: formatAddress(socket.remoteAddress, socket.remotePort),
		});
		socket.once('close', () => {
			flush();
			report({type: 'conn-close', local});
		});
		serveSocket(socket, {
			id: local,
			handler: command.handler,
			traffic,
			settings: () => settings,
			onStall: (stalled) => report({type: 'stall', id: local, stalled}),
			onIdle: () => report({type: 'idle-closed', id: local}),
		});
	});
	cluster = {server, size: command.size};
	applyLimit();
	server.on('drop', (data) => {
		report({type: 'refused', peer: formatAddress(data?.remoteAddress, data?.remotePort)});
	});
	// A port in use or not ours to bind is the user's to fix: the parent says it in one line.
	server.once('error', (error: NodeJS.ErrnoException) => {
		if (server.listening) return;
		report({type: 'listen-failed', code: error.code ?? '', message: error.message}, () =>
			process.exit(0),
		);
	});
	// Every child listens with the same backlog: the last listen() on the shared socket sets it.
	server.listen({host: command.host, port: command.port, backlog: STORM_BACKLOG}, () => {
		// An accept that fails (EMFILE) is an 'error' on the server: without a listener it would end
		// the child. Before listening, an error should end it: the parent sees the exit.
		server.on('error', () => {});
		const address = server.address();
		report({type: 'ready', port: typeof address === 'object' && address ? address.port : 0});
	});
}

process.on('message', (command: ChildCommand, handle?: unknown) => {
	switch (command.type) {
		case 'socket': {
			settings = command.settings;
			if (handle instanceof net.Socket) serveOne(command.id, command.handler, handle);
			else process.exit(1);
			break;
		}
		case 'cluster': {
			settings = command.settings;
			serveCluster(command);
			break;
		}
		case 'settings': {
			settings = command.settings;
			applyLimit();
			break;
		}
	}
});
process.on('disconnect', () => process.exit(0));
report({type: 'ready'});
