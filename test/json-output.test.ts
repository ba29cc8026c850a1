import assert from 'node:assert/strict';
import {test} from 'node:test';
import {JSON_SCHEMA, jsonLine, toJsonLine} from '../source/metrics/json-output.js';
import {SEQUENTIAL_SNAPSHOT} from './helpers/snapshots.js';

/** Keys of schema 1 kept until 0.3: the only ones allowed to break the convention. */
const DEPRECATED = new Set(['time', 'p50', 'p99']);

/** Every numeric key of `value` (path, key) that names a time without its unit. */
function unitless(value: unknown, path = ''): string[] {
	if (value === null || typeof value !== 'object') return [];
	return Object.entries(value).flatMap(([key, inner]) => {
		const here = `${path}.${key}`;
		if (typeof inner === 'object') return unitless(inner, here);
		const isTime = /(wait|delay|timeout|duration|latency|rtt|age|uptime|time|^p\d+)$/i.test(key);
		const hasUnit = /(Ms|S)$/.test(key) || key === 'at';
		return typeof inner === 'number' && isTime && !hasUnit && !DEPRECATED.has(key) ? [here] : [];
	});
}

test('a JSON line carries the schema first, `at` in epoch ms and units in its keys', () => {
	const text = jsonLine(toJsonLine(SEQUENTIAL_SNAPSHOT));
	assert.ok(text.endsWith('}\n') && !text.slice(0, -1).includes('\n'), 'one line');
	const line = JSON.parse(text) as Record<string, unknown> & {latency: Record<string, unknown>};
	assert.equal(Object.keys(line)[0], 'schema');
	assert.equal(line.schema, JSON_SCHEMA);
	assert.equal(line.at, SEQUENTIAL_SNAPSHOT.at);
	assert.equal(line.time, new Date(SEQUENTIAL_SNAPSHOT.at).toISOString(), 'schema 1 key kept');
	assert.equal(line.latency.p50Ms, line.latency.p50);
	assert.equal(line.latency.p99Ms, line.latency.p99);
	assert.deepEqual(unitless(line), []);
});

test('the unit check finds a time without its unit', () => {
	assert.deepEqual(unitless({queue: {longestWait: 3, longestWaitMs: 3}, at: 1}), [
		'.queue.longestWait',
	]);
});
