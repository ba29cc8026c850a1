/** What the dashboard and serve share to be reached from outside: the Prometheus endpoint. */
import type {DashboardSource} from '../metrics/source.js';
import type {MetricsEndpoint} from '../metrics/prometheus.js';
import {isLoopback} from '../options/hosts.js';
import type {EndpointOptions} from '../options/endpoints.js';
import {ListenError} from '../server/listen.js';
import {VERSION} from '../shared/version.js';
import {fail} from './fail.js';

/** The Prometheus endpoint, when --metrics-port asks for one; its address goes to stderr. */
export async function startMetricsFor(
	controller: DashboardSource & {
		readonly onRoundTrips: (listener: (micros: readonly number[]) => void) => () => void;
		readonly stop: () => Promise<void>;
	},
	reach: EndpointOptions | undefined,
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
			fail(`metrics: ${error.message.replaceAll('--port', '--metrics-port')}`);
		throw error;
	}
}
