import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';
import {ClientsMeter} from '../source/clients/meter.js';
import {summaryJson, viewJson, type ClientsLoad} from '../source/clients/summary.js';
import {toCompareJson, toCompareSummaryJson} from '../source/compare/figures.js';
import {jsonLine, toJsonLine} from '../source/metrics/json-output.js';
import {EIGHT_ROWS} from './compare-fixture.js';
import {assertConforms, commandSchema, schemaErrors} from './helpers/json-schema.js';
import {SEQUENTIAL_SNAPSHOT} from './helpers/snapshots.js';

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
	assertConforms('compare', example('compare.md', '## --json, --duration, --markdown'));
});
