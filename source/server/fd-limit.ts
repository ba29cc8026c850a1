import {readFileSync} from 'node:fs';

/** The soft limit on open files of this process (`ulimit -n`), from /proc/self/limits; null if unknown. */
export function openFileLimit(): number | null {
	try {
		const limits = readFileSync('/proc/self/limits', 'utf8');
		const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
		if (!match || match[1] === 'unlimited') return null;
		return Number(match[1]);
	} catch {
		return null;
	}
}

/**
 * Descriptors kept free below the limit: for the dashboard's own /proc reads, log file, pipes and
 * the libraries it loads. At the limit /proc reads fail with EMFILE and the dashboard goes blind.
 */
export function fdHeadroom(limit: number): number {
	return Math.max(128, Math.ceil(limit * 0.05));
}

/**
 * Connections the metrics endpoint (--metrics-port) keeps at once (metrics/prometheus.ts): with
 * its listener, they come out of the echo server's descriptors in the same process.
 */
export const MAX_METRICS_CONNECTIONS = 16;

/**
 * Accept handles on one listening socket, for the models whose one event loop accepts and serves.
 * libuv (Node 20) accepts one connection per handle per turn of the loop, and a turn that serves
 * 1000 busy sockets takes milliseconds: a connect storm waited seconds in the kernel's accept queue
 * (`ss -ltn` Recv-Q 400-900, drained 100-350 a second). Each handle is polled in every turn, so
 * with 64 a turn accepts up to 64; an empty queue costs nothing, as no handle is then readable.
 * Measured (1000 connect, then all echo): a bare Node server's last first reply 2.9-6.2 s with one
 * handle, 0.9-2.6 s with 32, 0.3-0.9 s with 128.
 */
export const ACCEPT_HANDLES = 64;

/**
 * Accept handles under `ulimit -n` `fdLimit`: one per 128 descriptors allowed, at most
 * ACCEPT_HANDLES, so a small limit keeps its descriptors for connections (and at 255 or less there
 * is one handle and no copying child at all).
 */
export function acceptHandles(fdLimit: number | null = openFileLimit()): number {
	return fdLimit === null
		? ACCEPT_HANDLES
		: Math.max(1, Math.min(ACCEPT_HANDLES, Math.floor(fdLimit / 128)));
}

/** Descriptors the handles beyond the first hold (ModeEntry.fdFixed of the models that use them). */
export const extraAcceptFds = (fdLimit: number): number => acceptHandles(fdLimit) - 1;

/** Descriptors set aside in this process for the metrics endpoint; 0 without one. */
let reserved = 0;

/** Sets aside the metrics endpoint's descriptors (before the server starts, so every cap counts them). */
export function reserveMetricsFds(): void {
	reserved = MAX_METRICS_CONNECTIONS + 1;
}

/**
 * Connections that fit under `limit` with headroom, at `cost` descriptors each, beside the `fixed`
 * descriptors the model holds whatever its connections (ModeEntry.fdFixed).
 */
export function fdConnectionCap(limit: number, cost = 1, fixed = 0): number {
	return Math.max(1, Math.floor((limit - fdHeadroom(limit) - reserved - fixed) / cost));
}

/** What a refusal at the fd cap says on screen and in the log. */
export function fdCapReason(limit: number, cap: number): string {
	return `ulimit -n ${limit} (${cap} connections + headroom)`;
}

/**
 * Why a connection was refused and at what limit: --max-connections if that is the lower, else the
 * fd limit. `workers` processes each accept their own share (cluster); `fdCap` is one's cap, null
 * when the fd limit is unknown.
 */
export function refusalReason(
	maxConnections: number | null,
	fdLimit: number | null,
	fdCap: number | null,
	workers = 1,
): {readonly limit: number; readonly why: string} {
	const each = maxConnections === null ? null : Math.ceil(maxConnections / workers);
	const perWorker = workers === 1 ? '' : ' per worker';
	if (maxConnections !== null && (fdCap === null || each! <= fdCap)) {
		const share = workers === 1 ? '' : ` (${each} per worker)`;
		return {limit: maxConnections, why: `--max-connections ${maxConnections}${share}`};
	}
	return {limit: fdCap! * workers, why: `${fdCapReason(fdLimit!, fdCap!)}${perWorker}`};
}
