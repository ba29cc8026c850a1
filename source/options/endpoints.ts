import {isLoopback} from './hosts.js';
import {UsageError} from './values.js';

/** Where an observer or a scraper reaches this process, and who may. */
export type EndpointOptions = {
	/** Prometheus endpoint; null: none. */
	readonly metrics: {readonly host: string; readonly port: number} | null;
	/** `serve`: a loopback (or, with allowRemote, any) TCP port instead of the Unix socket. */
	readonly control: {
		readonly host: string;
		readonly port: number | null;
		readonly token: string | null;
	};
	/** `clients`: the echo server to load. */
	readonly target: {readonly host: string; readonly port: number} | null;
	/** Whether --clients was given: `clients` opens 10 by default, the dashboard none. */
	readonly clientsGiven: boolean;
};

export type EndpointFlags = {
	readonly metricsPort?: string;
	readonly metricsHost?: string;
	readonly metricsAllowRemote?: boolean;
	readonly controlPort?: string;
	readonly controlHost?: string;
	readonly controlToken?: string;
	readonly controlAllowRemote?: boolean;
	readonly target?: string;
	readonly clients?: string;
};

/** The shared secret for a non-loopback control port, when not given as a flag. */
export const TOKEN_ENV = 'CONCURRENCY_TOP_TOKEN';
const MIN_TOKEN_LENGTH = 16;

/**
 * The reach flags, checked here so that a mistake is one line and exit 2. Widening an endpoint
 * beyond loopback always takes an explicit flag; the control port also takes a token.
 */
export function parseEndpointOptions(
	flags: EndpointFlags,
	env: NodeJS.ProcessEnv = process.env,
): EndpointOptions {
	const metricsHost = flags.metricsHost ?? '127.0.0.1';
	checkHost('metrics-host', metricsHost);
	if (!isLoopback(metricsHost) && !flags.metricsAllowRemote) {
		throw new UsageError(
			`--metrics-host ${metricsHost} is not loopback: add --metrics-allow-remote to expose the figures to the network, or scrape through an SSH tunnel`,
		);
	}
	if (flags.metricsHost !== undefined && flags.metricsPort === undefined) {
		throw new UsageError('--metrics-host needs --metrics-port N');
	}
	const controlHost = flags.controlHost ?? '127.0.0.1';
	checkHost('control-host', controlHost);
	const token = flags.controlToken ?? (env[TOKEN_ENV] || undefined) ?? null;
	// A short token is guessed in seconds: every token given, wherever, is long enough or refused.
	if (token !== null && token.length < MIN_TOKEN_LENGTH) {
		const from = flags.controlToken === undefined ? TOKEN_ENV : '--control-token';
		throw new UsageError(
			`${from} must be at least ${MIN_TOKEN_LENGTH} characters (got ${token.length}): use a random one, such as the output of "openssl rand -hex 16"`,
		);
	}
	const controlPort = port('control-port', flags.controlPort);
	if (!isLoopback(controlHost)) {
		if (!flags.controlAllowRemote) {
			throw new UsageError(
				`--control-host ${controlHost} is not loopback: add --control-allow-remote and a token (--control-token or ${TOKEN_ENV}), or use ssh -L instead`,
			);
		}
		if (token === null) {
			throw new UsageError(
				`a non-loopback control port needs a shared token of at least ${MIN_TOKEN_LENGTH} characters (--control-token or ${TOKEN_ENV})`,
			);
		}
	}
	if (flags.controlHost !== undefined && controlPort === null) {
		throw new UsageError('--control-host needs --control-port N');
	}
	const metricsPort = port('metrics-port', flags.metricsPort);
	return {
		metrics: metricsPort === null ? null : {host: metricsHost, port: metricsPort},
		control: {host: controlHost, port: controlPort, token},
		target: flags.target === undefined ? null : parseHostPort('target', flags.target),
		clientsGiven: flags.clients !== undefined,
	};
}

function checkHost(flag: string, value: string): void {
	if (value.trim() === '' || /\s/.test(value)) {
		throw new UsageError(`--${flag} must be an IP address or host name (got "${value}")`);
	}
}

function port(flag: string, value: string | undefined): number | null {
	if (value === undefined) return null;
	const parsed = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
	if (!Number.isSafeInteger(parsed) || parsed > 65_535) {
		throw new UsageError(`--${flag} must be a whole number from 0 to 65535 (got "${value}")`);
	}
	return parsed;
}

/** `host:port`, `[v6]:port`; a bare port means 127.0.0.1. */
export function parseHostPort(flag: string, value: string): {host: string; port: number} {
	const match = /^(?:(?:\[([^\]\s]+)\]|([^:\s[\]]+)):)?(\d+)$/.exec(value.trim());
	const portNumber = match ? Number(match[3]) : Number.NaN;
	if (!match || !(portNumber >= 1 && portNumber <= 65_535)) {
		throw new UsageError(`--${flag} must be HOST:PORT, such as 127.0.0.1:8080 (got "${value}")`);
	}
	return {host: match[1] ?? match[2] ?? '127.0.0.1', port: portNumber};
}
