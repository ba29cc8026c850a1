import type {Server, Socket} from 'node:net';

/** A listen failure the user can fix (port in use, address not available): shown as one line. */
export class ListenError extends Error {
	override readonly name = 'ListenError';
	/** The kernel's refusal: EADDRINUSE, EACCES, ... */
	code?: string;
}

/**
 * Room in the kernel for connections the event loop has not accepted yet, enough to take a storm:
 * `--backlog 4096`. With Node's 511, 1000 connects at once overflowed the accept queue, and the
 * dropped ones came back only with the client's SYN retry a second later (ListenOverflows in
 * /proc/net/netstat); with the tutorial's 5 (each model's default, ModeEntry.backlog) most of them
 * do. The kernel caps any backlog at net.core.somaxconn (4096 on current kernels). The bench's
 * storm scenario listens with it (source/bench/processes.ts).
 */
export const STORM_BACKLOG = 4096;

/** Listens and resolves with the bound port, turning the kernel's refusals into plain sentences. */
export async function listen(
	server: Server,
	host: string,
	port: number,
	backlog = 511,
	onAcceptError: (error: NodeJS.ErrnoException) => void = () => {},
): Promise<number> {
	await new Promise<void>((resolve, reject) => {
		const onError = (error: NodeJS.ErrnoException) => {
			server.off('listening', onListening);
			reject(explainListenError(error, host, port));
		};
		const onListening = () => {
			server.off('error', onError);
			resolve();
		};
		server.once('error', onError);
		server.once('listening', onListening);
		server.listen({host, port, backlog});
	});
	// A failed accept (EMFILE at the fd limit) is an 'error' on the server, which would otherwise be
	// thrown and end the process; libuv has already closed the connection it could not take.
	server.on('error', onAcceptError);
	const address = server.address();
	if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
	return address.port;
}

export function explainListenError(
	error: NodeJS.ErrnoException,
	host: string,
	port: number,
): Error {
	switch (error.code) {
		case 'EADDRINUSE':
			return Object.assign(
				new ListenError(
					`port ${port} on ${host} is in use: choose another with --port N, or --port 0 for any free port`,
				),
				{code: 'EADDRINUSE'},
			);
		case 'EACCES':
			return new ListenError(
				`no permission to listen on ${host}:${port}: use a port above 1023, or --port 0 for any free port`,
			);
		case 'EADDRNOTAVAIL':
			return new ListenError(`--host ${host} is not an address of this machine`);
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return new ListenError(`--host ${host} does not resolve to an address`);
		default:
			return error;
	}
}

/** Stops accepting and ends every open connection; resolves once the listener is closed. */
export async function closeServer(server: Server, sockets: Iterable<Socket>): Promise<void> {
	const closed = new Promise<void>((resolve) => {
		if (!server.listening) resolve();
		else server.close(() => resolve());
	});
	for (const socket of sockets) socket.destroy();
	await closed;
}
