import type {Socket} from 'node:net';
import {readEstablishedPeers} from '../collectors/proc.js';
import {formatAddress} from './connection.js';

/** How often queued sockets are checked: well inside one dashboard tick (1 s). */
const CHECK_MS = 300;

/**
 * Ends queued sockets whose client has gone. A socket accepted paused is not read, so the server
 * never sees its FIN or reset: in `ss` it sits in CLOSE-WAIT while the queue still counts it. The
 * kernel knows, so while anything waits, the established connections on the port are asked of it
 * a few times a second and a waiting socket missing from them is destroyed; its 'close' then takes
 * it out of the queue the usual way.
 */
export class PeerWatch {
	readonly #waiting = new Set<Socket>();
	#timer: NodeJS.Timeout | undefined;
	#checking = false;

	add(socket: Socket): void {
		this.#waiting.add(socket);
		this.#timer ??= setInterval(() => void this.#check(), CHECK_MS);
	}

	delete(socket: Socket): void {
		this.#waiting.delete(socket);
		if (this.#waiting.size === 0) this.stop();
	}

	stop(): void {
		clearInterval(this.#timer);
		this.#timer = undefined;
	}

	async #check(): Promise<void> {
		if (this.#checking) return;
		this.#checking = true;
		try {
			// Only sockets waiting before the kernel was asked: one accepted meanwhile is not in its answer.
			const judged = [...this.#waiting];
			const port = judged[0]?.localPort;
			if (port === undefined) return;
			const peers = await readEstablishedPeers(port);
			if (!peers) return;
			for (const socket of judged) {
				if (
					!this.#waiting.has(socket) ||
					peers.has(formatAddress(socket.remoteAddress, socket.remotePort))
				)
					continue;
				this.delete(socket);
				socket.destroy();
			}
		} finally {
			this.#checking = false;
		}
	}
}
