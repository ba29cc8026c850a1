/**
 * The commands and flags of reach (serve, attach, clients, Prometheus), kept here so that cli.tsx
 * only spreads them in.
 */
import type {Controller} from '../controller.js';
import type {MetricsEndpoint} from '../metrics/prometheus.js';
import type {Options} from '../options.js';
import {isLoopback} from '../options.js';
import {TOKEN_ENV, type ReachOptions} from '../reach-options.js';
import {ListenError} from '../server/listen.js';
import {VERSION} from '../version.js';
import {runAttach} from './attach.js';
import {runClients} from './clients.js';
import {fail} from './fail.js';
import {runServe} from './serve.js';

export const REACH_COMMANDS: Readonly<
	Record<string, (options: Options, reach: ReachOptions, args: readonly string[]) => Promise<void>>
> = {
	serve: runServe,
	attach: runAttach,
	clients: runClients,
};

export const REACH_FLAGS = {
	metricsPort: {type: 'string'},
	metricsHost: {type: 'string'},
	metricsAllowRemote: {type: 'boolean'},
	controlPort: {type: 'string'},
	controlHost: {type: 'string'},
	controlToken: {type: 'string'},
	controlAllowRemote: {type: 'boolean'},
	target: {type: 'string'},
} as const;

export const REACH_USAGE = `	  $ concurrency-top serve [options]     server and test clients, no screen; observers attach
	  $ concurrency-top attach [target]     the dashboard of a running serve (socket path or HOST:PORT)
	  $ concurrency-top clients --target HOST:PORT [--clients N] [--rate R] [--json]
	                                        only the test clients, against any TCP echo server`;

export const REACH_HELP = `	  --metrics-port N  Prometheus metrics on http://127.0.0.1:N/metrics (dashboard and serve)
	  --metrics-host A  address for them; not loopback needs --metrics-allow-remote
	  --control-port N  serve: observers on this TCP port instead of a Unix socket
	  --control-host A  address for it (default 127.0.0.1); not loopback needs
	                    --control-allow-remote and --control-token T (or ${TOKEN_ENV})
	  --target H:P      clients: the echo server to load`;

/** The Prometheus endpoint, when --metrics-port asks for one; its address goes to stderr. */
export async function startMetricsFor(
	controller: Controller,
	reach: ReachOptions | undefined,
	// Headless, the address goes to stderr (it matters with --metrics-port 0); the full screen stays clean.
	log: (text: string) => void = (text) => {
		if (!process.stdout.isTTY) process.stderr.write(`concurrency-top: ${text}\n`);
	},
): Promise<MetricsEndpoint | undefined> {
	if (!reach?.metrics) return undefined;
	const {host, port} = reach.metrics;
	if (!isLoopback(host)) {
		process.stderr.write(
			`concurrency-top: warning: metrics on ${host}:${port} can be read by anyone who reaches that address\n`,
		);
	}
	try {
		// prom-client is loaded only when asked for: it would add 40 ms to every start.
		const {startMetrics} = await import('../metrics/prometheus.js');
		const endpoint = await startMetrics(controller, host, port, VERSION);
		log(`metrics on http://${host.includes(':') ? `[${host}]` : host}:${endpoint.port}/metrics`);
		return endpoint;
	} catch (error: unknown) {
		await controller.stop();
		if (error instanceof ListenError)
			fail(`metrics: ${error.message.replace('--port', '--metrics-port')}`);
		throw error;
	}
}
