/**
 * The dashboard's options (and those `serve`, `attach` and `clients` share with it): the flags as the
 * command line hands them over, checked into Options.
 */
import type {Placement} from '../metrics/snapshot.js';
import {HANDLER_NAMES, type HandlerName} from '../server/handler.js';
import {MAX_BACKLOG, MODE_NAMES, type ModeName} from '../server/mode.js';
import {poolSizeRefusal} from '../server/pool-budget.js';
import {CLUSTER_ACCEPTS, type ClusterAccept} from '../server/protocol.js';
import {MAX_CLIENTS} from '../clients/fleet.js';
import {
	DEFAULT_SETTINGS,
	MAX_CONNECTIONS,
	MAX_DELAY_MS,
	MAX_IDLE_TIMEOUT,
	MAX_POOL_SIZE,
	MAX_WORK_MS,
	MAX_WORKERS,
} from '../server/settings.js';
import {integer, numberFrom, oneOf, positiveNumber, UsageError} from './values.js';

export type Options = {
	readonly mode: ModeName;
	readonly host: string;
	readonly port: number;
	readonly handler: HandlerName;
	/** Test clients opened at start. */
	readonly clients: number;
	/** Messages per second each test client sends. */
	readonly rate: number;
	readonly json: boolean;
	/** False with --no-color (NO_COLOR in the environment is honoured as well). */
	readonly color: boolean;
	readonly placement: Placement;
	/** Cluster: how its children get their connections (round-robin, or a shared socket). */
	readonly clusterAccept: ClusterAccept;
	/** Threads of the `pool` model. */
	readonly poolSize: number;
	/** CPU busy time per message, in the handler. */
	readonly workMs: number;
	/** Simulated I/O wait per message. */
	readonly delayMs: number;
	/** Open connections at most, further ones refused; null: no limit. */
	readonly maxConnections: number | null;
	/** Seconds a connection may stay silent before it is closed; null: never (the default). */
	readonly idleTimeout: number | null;
	/** Threads or child processes of the per-client models at most; null: the computed budget. */
	readonly maxWorkers: number | null;
	/** The listen backlog of every model; null: each model's own (ModeEntry.backlog). */
	readonly backlog: number | null;
	/** Seconds between frames (and JSON lines); rates stay per second. */
	readonly interval: number;
};

/** The flags as meow (source/options/command-line.ts) hands them over: strings, so that every value is checked here, in one place. */
export type RawFlags = {
	readonly mode?: string;
	readonly host?: string;
	readonly port?: string;
	readonly handler?: string;
	readonly clients?: string;
	readonly rate?: string;
	readonly json?: boolean;
	readonly color?: boolean;
	readonly placement?: string;
	readonly clusterAccept?: string;
	readonly poolSize?: string;
	readonly workMs?: string;
	readonly delayMs?: string;
	readonly maxConnections?: string;
	readonly idleTimeout?: string;
	readonly maxWorkers?: string;
	readonly backlog?: string;
	readonly interval?: string;
};

/** The command line's defaults; the server settings' own come from DEFAULT_SETTINGS. */
export const DEFAULTS = {
	mode: 'async',
	host: '127.0.0.1',
	port: 8080,
	handler: 'echo',
	clients: 0,
	rate: 2,
	placement: 'in-process',
	clusterAccept: 'round-robin',
	poolSize: DEFAULT_SETTINGS.poolSize,
	workMs: DEFAULT_SETTINGS.workMs,
	delayMs: DEFAULT_SETTINGS.delayMs,
	interval: 1,
} as const;

/** --interval, as `top -d`: seconds between frames. */
export const INTERVAL_LIMITS = {min: 0.2, max: 10} as const;

export const PLACEMENTS: readonly Placement[] = ['in-process', 'worker'];

/** The most test clients one run opens (the fleet's own cap). */
export {MAX_CLIENTS};
/** `clients` opens this many when --clients is not given; the dashboard none. */
export const CLIENTS_COMMAND_DEFAULT = 10;
export const MAX_RATE = 10_000;

/** A message without its reply this long is counted as late (autocannon's default). */
export const DEFAULT_MESSAGE_TIMEOUT_MS = 10_000;

/** `--timeout-ms N` of `clients` and `bench`: a message without its reply N ms counts as late. */
export function parseMessageTimeoutMs(value: string | undefined): number {
	return integer('timeout-ms', value, DEFAULT_MESSAGE_TIMEOUT_MS, 1, 3_600_000);
}

export function parseOptions(flags: RawFlags): Options {
	const options = readOptions(flags);
	// The pool obeys the worker budget that thread and process per client obey.
	const overBudget =
		flags.poolSize === undefined ? null : poolSizeRefusal(options.poolSize, options.maxWorkers);
	if (overBudget) throw new UsageError(`--pool-size ${options.poolSize}: ${overBudget}`);
	return options;
}

function readOptions(flags: RawFlags): Options {
	return {
		mode: oneOf('mode', flags.mode ?? DEFAULTS.mode, MODE_NAMES),
		host: parseHost(flags.host ?? DEFAULTS.host),
		port: integer('port', flags.port, DEFAULTS.port, 0, 65_535),
		handler: oneOf('handler', flags.handler ?? DEFAULTS.handler, HANDLER_NAMES),
		clients: integer('clients', flags.clients, DEFAULTS.clients, 0, MAX_CLIENTS),
		rate: positiveNumber('rate', flags.rate, DEFAULTS.rate, MAX_RATE),
		json: flags.json ?? false,
		color: flags.color ?? true,
		placement: oneOf('placement', flags.placement ?? DEFAULTS.placement, PLACEMENTS),
		clusterAccept: oneOf(
			'cluster-accept',
			flags.clusterAccept ?? DEFAULTS.clusterAccept,
			CLUSTER_ACCEPTS,
		),
		poolSize: integer('pool-size', flags.poolSize, DEFAULTS.poolSize, 1, MAX_POOL_SIZE),
		workMs: integer('work-ms', flags.workMs, DEFAULTS.workMs, 0, MAX_WORK_MS),
		delayMs: integer('delay-ms', flags.delayMs, DEFAULTS.delayMs, 0, MAX_DELAY_MS),
		maxConnections:
			flags.maxConnections === undefined
				? null
				: integer('max-connections', flags.maxConnections, 0, 1, MAX_CONNECTIONS),
		idleTimeout:
			flags.idleTimeout === undefined
				? null
				: integer('idle-timeout', flags.idleTimeout, 0, 1, MAX_IDLE_TIMEOUT),
		maxWorkers:
			flags.maxWorkers === undefined
				? null
				: integer('max-workers', flags.maxWorkers, 0, 1, MAX_WORKERS),
		backlog:
			flags.backlog === undefined ? null : integer('backlog', flags.backlog, 0, 1, MAX_BACKLOG),
		interval: numberFrom(
			'interval',
			flags.interval,
			DEFAULTS.interval,
			INTERVAL_LIMITS.min,
			INTERVAL_LIMITS.max,
		),
	};
}

function parseHost(value: string): string {
	if (value.trim() === '' || /\s/.test(value)) {
		throw new UsageError(`--host must be an IP address or host name (got "${value}")`);
	}
	return value;
}
