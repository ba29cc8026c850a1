import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';
import {ClientsMeter} from '../source/clients/meter.js';
import {summaryJson, viewJson, type ClientsLoad} from '../source/clients/summary.js';
import {toCompareJson, toCompareSummaryJson} from '../source/compare/figures.js';
import {jsonLine, toJsonLine} from '../source/metrics/json-output.js';
import {EIGHT_ROWS} from './compare-fixture.js';
import {assertConforms, commandSchema, schemaErrors} from './helpers/json-schema.js';
import {SEQUENTIAL_SNAPSHOT, WATCHED_THREADS} from './helpers/snapshots.js';
import type {PendingRow, Snapshot} from '../source/metrics/snapshot.js';

/** As the program prints it: through jsonLine (schema first, figures rounded), then parsed. */
const printed = (document: object) => JSON.parse(jsonLine(document)) as Record<string, unknown>;

const LOAD: ClientsLoad = {schedule: 'fixed-rate', ratePerSec: 20, timeoutMs: 10_000, warmupS: 0};

function clientsMeter(): ClientsMeter {
	const meter = new ClientsMeter('127.0.0.1:7000', 0);
	meter.startWindow(0);
	meter.apply({
		type: 'report',
		clients: [
			{
				id: 1,
				local: '127.0.0.1:5000',
				phase: 'answered',
				lastRttMs: 0.2,
				connectedAt: 1,
				firstReplyMs: 3,
			},
		],
		rttMicros: [180, 210, 250.5],
		errors: {refused: 0, resets: 0, closed: 0, timeouts: 0, other: 0},
		bytesIn: 300,
		connectsTotal: 1,
		messageTimeouts: 0,
	});
	meter.roll(1000);
	return meter;
}

test('every command prints what its schema in schemas/ says: the dashboard (serve, attach, watch)', () => {
	assertConforms('dashboard', printed(toJsonLine(SEQUENTIAL_SNAPSHOT)));
});

test('every command prints what its schema says: compare, a second and the summary of the window', () => {
	assertConforms('compare', printed(toCompareJson(EIGHT_ROWS)));
	const latency = {
		samples: 3,
		p50Ms: 0.2,
		p90Ms: 0.25,
		p99Ms: 0.25,
		p999Ms: 0.25,
		maxMs: 0.25,
		meanMs: 0.21,
		stdevMs: 0.03,
		histogram: [
			{leMs: 0.2, count: 2},
			{leMs: 0.25, count: 1},
		],
	};
	const summary = toCompareSummaryJson({
		at: EIGHT_ROWS.at,
		startedAt: EIGHT_ROWS.at - 9000,
		windowStart: EIGHT_ROWS.at - 5000,
		seconds: 5,
		startupS: 4,
		snapshot: EIGHT_ROWS,
		latency: Object.fromEntries(EIGHT_ROWS.rows.map((row) => [row.name, latency])),
	});
	assertConforms('compare', printed(summary));
});

test('every command prints what its schema says: clients, a second and the summary', () => {
	const meter = clientsMeter();
	assertConforms('clients', printed(viewJson(meter.view(1000), LOAD)));
	assertConforms('clients', printed({at: 1000, summary: summaryJson(meter.summary(1000)!, LOAD)}));
});

test('the schemas catch a key renamed, one missing and one of the wrong type', () => {
	const meter = clientsMeter();
	const {latency, ...line} = printed(viewJson(meter.view(1000), LOAD));
	const schema = commandSchema('clients');
	assert.notDeepEqual(schemaErrors({...line, roundTrip: latency}, schema), []);
	const withoutAt = ({at: _at, ...rest}: Record<string, unknown>) => rest;
	const noTime = withoutAt(printed(toJsonLine(SEQUENTIAL_SNAPSHOT)));
	assert.notDeepEqual(schemaErrors(noTime, commandSchema('dashboard')), []);
	assert.notDeepEqual(
		schemaErrors({...printed(toCompareJson(EIGHT_ROWS)), rows: 'eight'}, commandSchema('compare')),
		[],
	);
});

test('the schemas ship in the package, one per command', () => {
	const manifest = JSON.parse(
		readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
	) as {files: string[]};
	assert.ok(manifest.files.includes('schemas/*.schema.json'), JSON.stringify(manifest.files));
	for (const name of ['dashboard', 'compare', 'clients', 'bench'] as const)
		assert.equal(typeof commandSchema(name).title, 'string');
});

/** The first ```json block after `heading` in a doc of docs/. */
function example(doc: string, heading: string): unknown {
	const text = readFileSync(new URL(`../../docs/${doc}`, import.meta.url), 'utf8');
	const after = text.slice(text.indexOf(heading));
	const block = /```json\n([\s\S]*?)\n```/.exec(after)![1]!;
	return JSON.parse(block);
}

test('the examples in docs/json.md and docs/compare.md are what the schemas say the commands print', () => {
	assertConforms('clients', example('json.md', '## `clients --json`'));
	assertConforms('dashboard', example('json.md', '## The dashboard, `serve`, `attach`'));
	assertConforms('compare', example('compare.md', '## --json, --duration, --markdown'));
});

/** `document` with the value at `path` (dot-separated keys and array indexes) replaced. */
function withValue(document: unknown, path: string, value: unknown): unknown {
	const copy = structuredClone(document) as Record<string, unknown>;
	const keys = path.split('.');
	let at = copy;
	for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
	at[keys.at(-1)!] = value;
	return copy;
}

test('the schemas: a figure may be null only where it can truly be missing', () => {
	const dashboard = printed(toJsonLine(SEQUENTIAL_SNAPSHOT));
	const clients = printed(viewJson(clientsMeter().view(1000), LOAD));
	const compare = printed(toCompareJson(EIGHT_ROWS));
	const refused: [string, unknown, string][] = [
		['dashboard', dashboard, 'connections.active'],
		['dashboard', dashboard, 'latency.samples'],
		['dashboard', dashboard, 'traffic.bytesInTotal'],
		// Null only for a server we did not start (watch): ours always has them.
		['dashboard', dashboard, 'queue.line'],
		['dashboard', dashboard, 'threads.workers'],
		['dashboard', dashboard, 'mode'],
		['clients', clients, 'messagesPerSec'],
		['clients', clients, 'errors.messageTimeouts'],
		// Round trips were measured: their percentiles are figures.
		['clients', clients, 'latency.p50Ms'],
		['compare', compare, 'rows.0.messagesPerSec'],
		['compare', compare, 'rows.0.clients.total'],
	];
	for (const [name, document, path] of refused)
		assert.notDeepEqual(
			schemaErrors(withValue(document, path, null), commandSchema(name as 'dashboard')),
			[],
			`${name}: ${path} null`,
		);
	// Where a figure can be missing, null passes: not read yet, no limit, no round trip this second.
	for (const [name, document, path] of [
		['dashboard', dashboard, 'hostCpuPercent'],
		['dashboard', dashboard, 'processes.count'],
		['dashboard', dashboard, 'threads.os'],
		['dashboard', dashboard, 'settings.maxConnections'],
		['clients', clients, 'firstReply.waitingMs'],
		['compare', compare, 'rows.0.cpuPercent'],
		['compare', compare, 'rows.0.latency.p50Ms'],
	] as const)
		assertConforms(name, withValue(document, path, null));
	// No samples: every percentile null, and only then.
	const none = {...(clients.latency as object), samples: 0};
	assert.notDeepEqual(schemaErrors({...clients, latency: none}, commandSchema('clients')), []);
	const empty = Object.fromEntries(
		Object.keys(none).map((key) => [key, key === 'samples' ? 0 : null]),
	);
	assertConforms('clients', {...clients, latency: empty});
});

/** A watched server (`watch`): its threads in accept and recv, a zombie, every optional section. */
const WATCHED_LINE: Snapshot = {
	...WATCHED_THREADS,
	watch: {
		...WATCHED_THREADS.watch!,
		listenOverflows: null,
		ended: null,
		rateWindow: {from: 1_699_999_999_000, to: 1_700_000_000_000},
		connections: [{id: 1, peer: '127.0.0.1:52060', inode: 101, owner: 4242, waitIn: null}],
		owners: [4242],
		syscallRefused: null,
	},
};

test('watch lines are checked whole: listeners, processes, threads and what each waits in, connections', () => {
	const line = printed(toJsonLine(WATCHED_LINE));
	assertConforms('dashboard', line);
	const schema = commandSchema('dashboard');
	for (const [path, value] of [
		['watch', {}],
		['watch.listeners', [{address: '127.0.0.1:8080'}]],
		['watch.processes.0.threads.0.tid', null],
		['watch.processes.0.threads.1.activity.kind', 'napping'],
		['watch.connections.0.waitIn', 'somewhere'],
		['watch.zombies', [{pid: 4300}]],
		// A watched server has no model, and its threads are not ours to count as workers.
		['mode', 'async'],
		['threads.workers', 3],
	] as const)
		assert.notDeepEqual(schemaErrors(withValue(line, path, value), schema), [], path);
	// Our own server's line has no watch section.
	const own = printed(toJsonLine(SEQUENTIAL_SNAPSHOT));
	assert.notDeepEqual(schemaErrors({...own, watch: line.watch}, schema), []);
});

test('clients.pending items are checked: where each waits, and the handshake that goes with it', () => {
	const pending: PendingRow[] = [
		{
			client: 3,
			local: '127.0.0.1:50200',
			where: 'kernel queue',
			handshake: null,
			sinceMs: 1200,
			synRetries: null,
			retriesFrom: null,
		},
		{
			client: 4,
			local: null,
			where: 'not connected',
			handshake: 'syn-sent',
			sinceMs: 3100,
			synRetries: 2,
			retriesFrom: 'derived',
		},
	];
	const snapshot: Snapshot = {
		...SEQUENTIAL_SNAPSHOT,
		connections: {...SEQUENTIAL_SNAPSHOT.connections, pending},
	};
	const line = printed(toJsonLine(snapshot));
	assertConforms('dashboard', line);
	const schema = commandSchema('dashboard');
	for (const [path, value] of [
		['clients.pending.0.where', 'elsewhere'],
		['clients.pending.0.handshake', 'syn-sent'],
		['clients.pending.1.handshake', null],
		['clients.pending.1.sinceMs', null],
		['clients.pending.1.retriesFrom', 'guessed'],
		['clients.pending.0', {client: 3}],
	] as const)
		assert.notDeepEqual(schemaErrors(withValue(line, path, value), schema), [], path);
});
