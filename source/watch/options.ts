import type {CommandLine} from '../options/command-line.js';
import type {FlagSpec} from '../options/command-line.js';
import {
	DEFAULTS,
	integer,
	INTERVAL_LIMITS,
	MAX_CLIENTS,
	MAX_RATE,
	numberFrom,
	oneOf,
	positiveNumber,
	UsageError,
} from '../options/options.js';
import {parseEndpointOptions, type EndpointOptions} from '../options/endpoints.js';
import {HANDLER_NAMES, type HandlerName} from '../server/handler.js';

export type WatchOptions = {
	/** Exactly one of pid, port and command says what to watch. */
	readonly pid: number | null;
	readonly port: number | null;
	readonly command: readonly string[];
	readonly clients: number;
	readonly rate: number;
	/** The reply a correct server gives; 'any' with --any-reply. */
	readonly handler: HandlerName | 'any';
	readonly waitMs: number;
	/** When the watched process ends (or is a zombie already), stay on its last figures until quit. */
	readonly stay: boolean;
	/** Seconds between frames (and JSON lines). */
	readonly interval: number;
	readonly json: boolean;
	readonly color: boolean;
	readonly reach: EndpointOptions;
};

export const WAIT_MS_DEFAULT = 500;
/** /proc/sys/kernel/pid_max is at most 2^22. */
const MAX_PID = 4_194_304;

/** The flags only watch has; the shared ones are listed with them in the registry. */
export const WATCH_FLAGS: readonly FlagSpec[] = [
	{
		name: 'pid',
		type: 'string',
		value: 'N',
		help: "the server's main process (its children are part of it)",
	},
	{name: 'port', type: 'string', value: 'N', help: 'the process that listens on this TCP port'},
	{
		name: 'clients',
		type: 'string',
		value: 'N',
		help: `test clients to open at start, 0 to ${MAX_CLIENTS} (default ${DEFAULTS.clients})`,
	},
	{
		name: 'handler',
		type: 'string',
		value: 'NAME',
		help: `${HANDLER_NAMES.join(' or ')}: the reply the server should give (default ${DEFAULTS.handler})`,
		choices: HANDLER_NAMES,
	},
	{name: 'any-reply', type: 'boolean', help: 'any line back counts as a reply'},
	{
		name: 'stay',
		type: 'boolean',
		help: 'when the watched process ends (or is already a zombie), say so and stay\nuntil q rather than exit',
	},
	{
		name: 'wait-ms',
		type: 'string',
		value: 'N',
		help: `a connection whose bytes stay unread this long is waiting\nfor the server (default ${WAIT_MS_DEFAULT})`,
	},
];

/** The watch command line; a UsageError names a mistake. */
export function parseWatchOptions(line: CommandLine): WatchOptions {
	const {values, positionals, args} = line;
	const separator = args.indexOf('--');
	const command = separator === -1 ? [] : args.slice(separator + 1);
	if (positionals.length > command.length) {
		throw new UsageError(
			`unexpected argument "${positionals[0]}": a command to start goes after --, as in watch -- python3 server.py`,
		);
	}
	const text = (name: string) => {
		const value = values[name];
		return typeof value === 'string' ? value : undefined;
	};
	const pid = text('pid') === undefined ? null : integer('pid', text('pid'), 0, 1, MAX_PID);
	const port = text('port') === undefined ? null : integer('port', text('port'), 0, 1, 65_535);
	if ([pid !== null, port !== null, command.length > 0].filter(Boolean).length !== 1) {
		throw new UsageError('watch needs exactly one of --pid N, --port N or -- COMMAND [ARGS…]');
	}
	if (values['anyReply'] && text('handler') !== undefined) {
		throw new UsageError('--handler and --any-reply exclude each other');
	}
	const handler = oneOf('handler', text('handler') ?? DEFAULTS.handler, HANDLER_NAMES);
	return {
		pid,
		port,
		command,
		clients: integer('clients', text('clients'), DEFAULTS.clients, 0, MAX_CLIENTS),
		rate: positiveNumber('rate', text('rate'), DEFAULTS.rate, MAX_RATE),
		handler: values['anyReply'] ? 'any' : handler,
		waitMs: integer('wait-ms', text('waitMs'), WAIT_MS_DEFAULT, 0, 60_000),
		stay: values['stay'] === true,
		interval: numberFrom(
			'interval',
			text('interval'),
			DEFAULTS.interval,
			INTERVAL_LIMITS.min,
			INTERVAL_LIMITS.max,
		),
		json: values['json'] === true,
		color: values['color'] !== false,
		reach: parseEndpointOptions(values),
	};
}
