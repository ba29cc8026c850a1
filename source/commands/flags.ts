/**
 * The flags of the dashboard, serve, attach and clients, declared once: each command lists the
 * groups it takes. The values are checked in source/options/options.ts and source/options/endpoints.ts.
 */
import {
	DEFAULT_MESSAGE_TIMEOUT_MS,
	DEFAULTS,
	INTERVAL_LIMITS,
	MAX_CLIENTS,
	PLACEMENTS,
} from '../options/options.js';
import {MAX_POOL_SIZE, MAX_WORKERS} from '../server/settings.js';
import {TOKEN_ENV} from '../options/endpoints.js';
import {HANDLER_NAMES} from '../server/handler.js';
import {MAX_BACKLOG, MODE_NAMES} from '../server/mode.js';
import {MODES} from '../server/modes/index.js';
import {CLUSTER_ACCEPTS} from '../server/protocol.js';
import {GENERATOR_NAMES, SCENARIO_NAMES} from '../bench/names.js';
import type {FlagSpec} from '../options/command-line.js';

const string = (
	name: string,
	value: string,
	help: string,
	more: Pick<FlagSpec, 'choices' | 'multiple'> = {},
): FlagSpec => ({name, type: 'string', value, help, ...more});
const swtch = (name: string, help: string): FlagSpec => ({name, type: 'boolean', help});

export const RATE_FLAG = string(
	'rate',
	'N',
	`messages per second each test client sends (default ${DEFAULTS.rate})`,
);

/** `clients` and `bench`: messages due at the rate, timed from when they were due (wrk2's way). */
export const FIXED_RATE_FLAG = swtch(
	'fixed-rate',
	'send at --rate whatever the replies; time each round trip from when its message was due',
);

/** `clients` and `bench`: a message without its reply this long is late. */
export const TIMEOUT_MS_FLAG = string(
	'timeout-ms',
	'N',
	`a message without its reply N ms after it was sent (due) counts as late (default ${DEFAULT_MESSAGE_TIMEOUT_MS})`,
);

/** The server and its test clients: the dashboard and serve. */
export const SERVER_FLAGS: readonly FlagSpec[] = [
	string(
		'mode',
		'NAME',
		[
			`concurrency model (default ${DEFAULTS.mode}):`,
			...MODE_NAMES.map((name) => `  ${name.padEnd(11)} ${MODES[name].summary}`),
		].join('\n'),
		{choices: MODE_NAMES},
	),
	string('port', 'N', `TCP port, 0 for any free port (default ${DEFAULTS.port})`),
	string('host', 'ADDR', `address to listen on (default ${DEFAULTS.host})`),
	string(
		'handler',
		'NAME',
		`${HANDLER_NAMES.join(' or ')}: what the server sends back (default ${DEFAULTS.handler})`,
		{choices: HANDLER_NAMES},
	),
	string(
		'clients',
		'N',
		`test clients to open at start, 0 to ${MAX_CLIENTS} (default ${DEFAULTS.clients})`,
	),
	RATE_FLAG,
	string(
		'placement',
		'WHERE',
		`in-process (the server runs in this process) or worker\n(a server process it supervises) (default ${DEFAULTS.placement})`,
		{choices: PLACEMENTS},
	),
	string(
		'cluster-accept',
		'HOW',
		`cluster: round-robin (this process accepts and deals connections to the\nchildren in turn) or shared (every child accepts from one socket, the kernel\npicks) (default ${DEFAULTS.clusterAccept})`,
		{choices: CLUSTER_ACCEPTS},
	),
	string(
		'pool-size',
		'N',
		`threads of the pool model, 1 to ${MAX_POOL_SIZE} within the worker budget (default ${DEFAULTS.poolSize})`,
	),
	string(
		'work-ms',
		'N',
		`CPU busy time per message in the handler, ms (default ${DEFAULTS.workMs})`,
	),
	string('delay-ms', 'N', `simulated I/O wait per message, ms (default ${DEFAULTS.delayMs})`),
	string(
		'max-connections',
		'N',
		'refuse connections beyond N open ones (default: what the fd limit allows)',
	),
	string('idle-timeout', 'S', 'close connections silent for S seconds (default: never)'),
	string(
		'max-workers',
		'N',
		`threads (thread model) or child processes (process model) at most,\n1 to ${MAX_WORKERS} (default: from memory, cores and the fd limit)`,
	),
	string(
		'backlog',
		'N',
		`listen backlog, 1 to ${MAX_BACKLOG}: completed connections the kernel queues\nunaccepted before it drops SYNs (default: the tutorial's,\n${backlogDefaults()})`,
	),
];

/** `5 (sequential, thread, ...), 10 (hybrid), ...`: each model's default backlog, from the registry. */
function backlogDefaults(): string {
	const byBacklog = new Map<number, string[]>();
	for (const name of MODE_NAMES) {
		const backlog = MODES[name].backlog;
		byBacklog.set(backlog, [...(byBacklog.get(backlog) ?? []), name]);
	}
	return [...byBacklog].map(([backlog, names]) => `${backlog} ${names.join('/')}`).join(', ');
}

export const INTERVAL_FLAG = string(
	'interval',
	'S',
	`seconds between frames, ${INTERVAL_LIMITS.min} to ${INTERVAL_LIMITS.max} (default ${DEFAULTS.interval});\nfigures per second stay per second`,
);

export const JSON_FLAG = swtch(
	'json',
	'no screen: one JSON line per interval on stdout\n(also when stdout is not a terminal)',
);

export const COLOR_FLAG: FlagSpec = {
	name: 'color',
	type: 'boolean',
	negatable: true,
	help: 'monochrome (so is NO_COLOR=1 in the environment)',
};

export const METRICS_FLAGS: readonly FlagSpec[] = [
	string('metrics-port', 'N', 'Prometheus metrics on http://127.0.0.1:N/metrics'),
	string('metrics-host', 'ADDR', 'address for them; not loopback needs --metrics-allow-remote'),
	swtch('metrics-allow-remote', 'allow a --metrics-host beyond loopback'),
];

export const TOKEN_FLAG = string(
	'control-token',
	'T',
	`token (16+ characters) an observer not known by its uid proves it holds\n(other users, other machines; prefer ${TOKEN_ENV}=T: a flag shows in ps)`,
);

export const CONTROL_FLAGS: readonly FlagSpec[] = [
	string('control-port', 'N', 'observers on this TCP port instead of a Unix socket'),
	string(
		'control-host',
		'ADDR',
		'address for it (default 127.0.0.1); not loopback needs\n--control-allow-remote and --control-token T',
	),
	swtch('control-allow-remote', 'allow a --control-host beyond loopback (needs a token)'),
	TOKEN_FLAG,
];

export const TARGET_FLAG = string('target', 'HOST:PORT', 'the echo server to load');

const serverFlag = (name: string): FlagSpec => SERVER_FLAGS.find((flag) => flag.name === name)!;

/** `compare`: the same load on every row; the server flags it shares keep their meaning. */
export const COMPARE_FLAGS: readonly FlagSpec[] = [
	string('modes', 'A,B', 'models to compare, comma-separated (default all eight)'),
	string(
		'target',
		'NAME=HOST:PORT',
		'an outside echo server as one more row (repeat the flag, or separate with\ncommas, for more); on this machine its processes are read from /proc,\nelsewhere only its clients measure',
		{multiple: true},
	),
	string('clients', 'N', `test clients per row, 0 to ${MAX_CLIENTS} (default 10)`),
	RATE_FLAG,
	serverFlag('work-ms'),
	serverFlag('delay-ms'),
	serverFlag('pool-size'),
	serverFlag('backlog'),
	string(
		'budget-mb',
		'N',
		'memory the rows may take (default half of MemAvailable); rows that\nwould not fit are left out, and the view says which and why',
	),
	string('duration', 'S', 'end after S seconds and print the final table'),
	swtch('json', 'one JSON line a second, a row per server (also when stdout is not a terminal)'),
	swtch('markdown', 'with --duration: the final table in Markdown'),
	COLOR_FLAG,
];

/** `bench`: its own matrix of rows; the defaults are in source/bench/options.ts. */
export const BENCH_FLAGS: readonly FlagSpec[] = [
	string(
		'scenario',
		'NAME',
		[
			'matrix (default): every mode × clients × workload, with a ratio to plain',
			'saturation: plain server, 1..4 load-generator processes (is the server the bottleneck?)',
			'storm: 1000 connect at once (async unless --modes), busy (while 100 clients keep the',
			'server busy) and harsh (all connect, then all send at once); connect and first-reply times',
			'memory: RSS per idle connection for each model',
			'dashboard: the real dashboard in a pty: start to first frame, CPU at 10,000 idle connections',
		].join('\n'),
		{choices: SCENARIO_NAMES},
	),
	string(
		'modes',
		'A,B',
		`models to run (default all: ${MODE_NAMES.join(', ')}; none: only --target)`,
	),
	string('clients', 'A,B', 'concurrent clients per row (default 1,10,100,1000)'),
	string('workloads', 'A,B', 'echo, io, cpu: work per message (default all)'),
	string('work-ms', 'N', 'CPU busy time per message for the cpu workload (default 1)'),
	string('delay-ms', 'N', 'wait per message for the io workload (default 5)'),
	serverFlag('pool-size'),
	string('size', 'N', 'message bytes, newline included (default 64)'),
	string('depth', 'N', 'messages in flight per client, pipelining (default 1)'),
	FIXED_RATE_FLAG,
	string('rate', 'N', 'with --fixed-rate: messages a second each client sends (matrix scenario)'),
	TIMEOUT_MS_FLAG,
	string(
		'generator',
		'c|node',
		"c (default): bench/loadgen.c, built with cc at start (the Node workers if cc is\nmissing); all connections open, then all send at once and keep echoing. node: the\ndashboard's own test clients in --workers Node processes",
		{choices: GENERATOR_NAMES},
	),
	string(
		'workers',
		'N',
		'load processes (default 1; the C generator adds one per saturated row, up to one per core)',
	),
	string(
		'target',
		'HOST:PORT',
		'also measure an outside echo server, in the same rows (only it with --modes none)',
	),
	string(
		'tutorial',
		'A,B',
		"also run the tutorial's own Python servers (examples/python) of these models, in the same\nrounds: sequential,thread,pool,process,async,reactor,hybrid, or all (needs python3)",
	),
	string('duration', 'S', 'measured seconds per row (default 2)'),
	string('warmup', 'S', 'seconds of load before each measured window, C generator (default 1)'),
	string('repeat', 'N', 'runs of each row, interleaved; the table shows medians (default 1)'),
	swtch('json', 'one JSON document on stdout'),
	swtch('markdown', 'a Markdown table on stdout'),
	swtch('wide', 'every column, however wide the terminal (the text table fits it otherwise)'),
	swtch('chart', 'draw msgs/s against clients per server and a latency percentile curve'),
];
