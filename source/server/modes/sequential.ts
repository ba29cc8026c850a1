import net, {type Socket} from 'node:net';
import {
	acceptErrors,
	connectionReports,
	formatAddress,
	ignoreSocketErrors,
	serveSocket,
} from '../connection.js';
import {closeServer, listen} from '../listen.js';
import type {ModeFactory, ModeEntry} from '../mode.js';
import {PeerWatch} from '../peer-watch.js';

const MAIN = {kind: 'main'} as const;

type Client = {readonly id: number; readonly socket: Socket};

/**
 * The tutorial's problem server: `accept(); handle_client()` in a loop. Node accepts eagerly, so
 * connections are accepted paused and wait in a first-in, first-out line; only the head of the line
 * is read from and answered, until it disconnects.
 */
export const createSequentialMode: ModeFactory = ({
	config,
	emit,
	nextConnectionId,
	traffic,
	settings,
	admit,
}) => {
	const sockets = new Set<Socket>();
	const line: Client[] = [];
	let serving: Client | undefined;
	const watch = new PeerWatch();

	const serve = (client: Client) => {
		serving = client;
		watch.delete(client.socket);
		serveSocket(client.socket, {
			id: client.id,
			handler: config.handler,
			traffic,
			settings,
			...connectionReports(client.id, emit, settings().idleTimeoutMs),
		});
		client.socket.resume();
	};

	const server = net.createServer({pauseOnConnect: true}, (socket) => {
		if (!admit(socket)) return;
		const client = {id: nextConnectionId(), socket};
		sockets.add(socket);
		ignoreSocketErrors(socket);
		const peer = formatAddress(socket.remoteAddress, socket.remotePort);
		const state = serving ? 'queued' : 'active';
		emit({
			type: 'conn-open',
			id: client.id,
			peer,
			state,
			by: MAIN,
			...(state === 'queued' ? {waitIn: 'line' as const} : {}),
			at: Date.now(),
		});
		socket.once('close', () => {
			sockets.delete(socket);
			watch.delete(socket);
			emit({type: 'conn-close', id: client.id, at: Date.now()});
			if (serving !== client) {
				const waiting = line.indexOf(client);
				if (waiting !== -1) line.splice(waiting, 1);
				return;
			}
			serving = undefined;
			const next = line.shift();
			if (next) {
				emit({type: 'conn-serve', id: next.id, by: MAIN, at: Date.now()});
				serve(next);
			}
		});
		if (state === 'active') serve(client);
		else {
			line.push(client);
			watch.add(socket);
		}
	});

	return {
		name: 'sequential',
		start: () => listen(server, config.host, config.port, undefined, acceptErrors(emit)),
		async stop() {
			line.length = 0;
			serving = undefined;
			watch.stop();
			await closeServer(server, sockets);
		},
	};
};

export const sequentialMode: ModeEntry = {
	summary: 'one client at a time; the rest wait in line',
	fdCost: 1,
	create: createSequentialMode,
};
