import type {Socket} from 'node:net';
import {readEstablishedPeers} from '../collectors/proc.js';
import {formatAddress} from './connection.js';

/**
 * The pause between two checks of the queued sockets: within the shortest dashboard tick
 * (`--interval 0.2`), so a waiting client that left is gone from the queue by the next frame. It
 * costs about 4.5% of a core while anything waits, the server and its `ss` runs together (0.2%
 * with nobody waiting; sequential with two waiting for 10 s, on a loaded two-core machine).
 */
const CHECK_MS = 100;

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
		if (!this.#checking) this.#timer ??= setTimeout(() => void this.#check(), CHECK_MS);
	}

	delete(socket: Socket): void {
		this.#waiting.delete(socket);
		if (this.#waiting.size === 0) this.stop();
	}

	/** Stops checking (when nothing waits, or the server stops). */
	stop(): void {
		this.#waiting.clear();
		clearTimeout(this.#timer);
		this.#timer = undefined;
	}

	async #check(): Promise<void> {
		this.#timer = undefined;
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
			if (this.#waiting.size > 0) this.#timer = setTimeout(() => void this.#check(), CHECK_MS);
		}
	}
}
