/**
 * The token never crosses the wire: each side proves it holds it with an HMAC-SHA256, keyed by the
 * token, over a nonce of each side. The observer's proof and the server's differ by a label, so
 * neither can be sent back as the other, and fresh nonces make a recorded proof worth nothing.
 */
import {createHmac, randomBytes, timingSafeEqual} from 'node:crypto';

/** 16 random bytes as hex. */
export const newNonce = (): string => randomBytes(16).toString('hex');

/** A nonce as the wire carries it: 32 to 128 hex digits. */
export const isNonce = (value: unknown): value is string =>
	typeof value === 'string' && /^[\da-f]{32,128}$/.test(value);

/** A proof as the wire carries it: an HMAC-SHA256 in hex. */
export const isProof = (value: unknown): value is string =>
	typeof value === 'string' && /^[\da-f]{64}$/.test(value);

export function proofOf(
	token: string,
	role: 'observer' | 'server',
	serverNonce: string,
	observerNonce: string,
): string {
	return createHmac('sha256', token)
		.update(`concurrency-top ${role}\n${serverNonce}\n${observerNonce}`)
		.digest('hex');
}

/** Compared in constant time. */
export function proofMatches(expected: string, given: string | undefined): boolean {
	if (given === undefined || !isProof(given)) return false;
	return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given, 'hex'));
}

/** How long a peer with `failures` recent failed proofs waits for its next challenge. */
export const penaltyMs = (failures: number): number =>
	failures === 0 ? 0 : Math.min(250 * 2 ** (failures - 1), 8000);

/**
 * Failed proofs by peer (its uid, or its address where the uid cannot be told): at most `max`
 * peers are remembered (the least recent forgotten first), and a peer's count is forgotten
 * `forgetMs` after its last failure.
 */
export class FailedProofs {
	readonly #max: number;
	readonly #forgetMs: number;
	readonly #byPeer = new Map<string, {count: number; at: number}>();

	constructor(max = 256, forgetMs = 10 * 60_000) {
		this.#max = max;
		this.#forgetMs = forgetMs;
	}

	get size(): number {
		return this.#byPeer.size;
	}

	/** Recent failures of `peer`. */
	count(peer: string, now = Date.now()): number {
		const entry = this.#byPeer.get(peer);
		if (entry === undefined) return 0;
		if (now - entry.at > this.#forgetMs) {
			this.#byPeer.delete(peer);
			return 0;
		}
		return entry.count;
	}

	failed(peer: string, now = Date.now()): number {
		const count = this.count(peer, now) + 1;
		// Re-inserted, so the map's order is least recent first.
		this.#byPeer.delete(peer);
		this.#byPeer.set(peer, {count, at: now});
		while (this.#byPeer.size > this.#max) this.#byPeer.delete(this.#byPeer.keys().next().value!);
		return count;
	}

	succeeded(peer: string): void {
		this.#byPeer.delete(peer);
	}
}
