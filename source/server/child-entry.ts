/**
 * Entry point of a child process of the process and cluster models. The child owns its sockets
 * (passed as handles), computes replies (and spends the per-message CPU work) here, and reports
 * traffic to the parent over IPC. It ends when the parent's IPC channel closes.
 */
import net, {type Socket} from 'node:net';
import type {ChildCommand, ChildReport, ServerSettings} from './protocol.js';
import {formatAddress, ignoreSocketErrors, serveSocket, TrafficCounter} from './connection.js';
import {DEFAULT_SETTINGS} from './settings.js';
import {acceptHandles, extraAcceptFds, fdConnectionCap, openFileLimit} from './fd-limit.js';
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
let reporting = false;
/**
 * Starts the traffic reports and the quiet collection once the child has something to serve: a
 * spare of process per client waits for its socket with no timer, so an idle spare costs no CPU.
 */
function startReporting(): void {
	if (reporting) return;
	reporting = true;
	setInterval(flush, FLUSH_MS).unref();
	collectWhenQuiet();
}

/** Process per client: one socket, and the process ends with it. */
function serveOne(id: number, handler: 'echo' | 'upper', socket: Socket): void {
	startReporting();
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
/**
 * Cluster: the child's accept handles on the shared listening socket (the first from the cluster,
 * the rest copies the parent sends back: acceptor.ts says why), and its share of the connections.
 */
let cluster:
	| {
			readonly servers: net.Server[];
			readonly handler: 'echo' | 'upper';
			readonly size: number;
			/** The listen backlog every copy's listen() passes again (the last one sets it). */
			readonly backlog: number;
			/** Copies still to come before it reports ready, and the port it then reports. */
			readonly wanted: number;
			port: number;
			cap: number;
			open: number;
	  }
	| undefined;

/** This child's share of --max-connections, counted across its accept handles. */
function applyLimit(): void {
	if (!cluster) return;
	const max = settings.maxConnections;
	const share = max === null ? Infinity : Math.max(1, Math.ceil(max / cluster.size));
	// Each child has its own fd limit: beyond its cap it refuses rather than meet EMFILE.
	const limit = openFileLimit();
	cluster.cap = Math.min(
		share,
		limit === null ? Infinity : fdConnectionCap(limit, 1, extraAcceptFds(limit)),
	);
}

/** Cluster: serves a socket one of the accept handles took, or refuses it beyond the share. */
function serveClusterSocket(handler: 'echo' | 'upper', socket: Socket): void {
	const peer = formatAddress(socket.remoteAddress, socket.remotePort);
	ignoreSocketErrors(socket);
	if (!cluster || cluster.open >= cluster.cap) {
		socket.destroy();
		report({type: 'refused', peer});
		return;
	}
	cluster.open++;
	const local = ++localIds;
	report({type: 'conn-open', local, peer});
	socket.once('close', () => {
		cluster!.open--;
		flush();
		report({type: 'conn-close', local});
	});
	serveSocket(socket, {
		id: local,
		handler,
		traffic,
		settings: () => settings,
		onStall: (stalled) => report({type: 'stall', id: local, stalled}),
		onIdle: () => report({type: 'idle-closed', id: local}),
	});
}

/**
 * Cluster: accept from the shared listening socket, as every pre-forked worker does; or, round-robin,
 * serve the connections the parent sends (`conn`), listening on nothing.
 */
function serveCluster(command: Extract<ChildCommand, {type: 'cluster'}>): void {
	startReporting();
	if (command.accept === 'round-robin') {
		const {handler, size, port} = command;
		// Dealt its connections by the parent: it listens on nothing, so its backlog is the parent's.
		cluster = {servers: [], handler, size, backlog: 0, wanted: 0, port, cap: Infinity, open: 0};
		applyLimit();
		report({type: 'ready', port});
		return;
	}
	const server = net.createServer((socket) => serveClusterSocket(command.handler, socket));
	const limit = openFileLimit();
	const wanted = acceptHandles(limit) - 1;
	const {handler, size, backlog} = command;
	cluster = {servers: [server], handler, size, backlog, wanted, port: 0, cap: Infinity, open: 0};
	applyLimit();
	// A port in use or not ours to bind is the user's to fix: the parent says it in one line.
	server.once('error', (error: NodeJS.ErrnoException) => {
		if (server.listening) return;
		report({type: 'listen-failed', code: error.code ?? '', message: error.message}, () =>
			process.exit(0),
		);
	});
	// Every child listens with the same backlog: the last listen() on the shared socket sets it.
	server.listen({host: command.host, port: command.port, backlog: command.backlog}, () => {
		// An accept that fails (EMFILE) is an 'error' on the server: without a listener it would end
		// the child. Before listening, an error should end it: the parent sees the exit.
		server.on('error', () => {});
		const address = server.address();
		cluster!.port = typeof address === 'object' && address ? address.port : 0;
		if (wanted === 0) report({type: 'ready', port: cluster!.port});
		// The raw handle: sent as a Server, the parent would start accepting on it.
		else
			process.send?.(
				{type: 'copy-listener', count: wanted},
				(server as never as {_handle: never})._handle,
			);
	});
}

/** Cluster: one more accept handle, a copy of the listening socket; ready once all are in. */
function addListenerCopy(handle: unknown): void {
	if (!cluster || !handle) return;
	const {handler} = cluster;
	const server = net.createServer((socket) => serveClusterSocket(handler, socket));
	server.on('error', () => {});
	server.listen(handle as never, cluster.backlog);
	cluster.servers.push(server);
	if (cluster.servers.length === cluster.wanted + 1) report({type: 'ready', port: cluster.port});
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
		case 'conn': {
			// A socket the parent accepted (paused): this child alone owns it from here.
			if (handle instanceof net.Socket && cluster) {
				serveClusterSocket(cluster.handler, handle);
				handle.resume();
			} else if (handle instanceof net.Socket) handle.destroy();
			break;
		}
		case 'listener-copy': {
			addListenerCopy(handle);
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
