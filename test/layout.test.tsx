/**
 * Every model at 80x24, in a calm state and a crowded one: each line whole (nothing cut, nothing past
 * column 80), compared with the exact frame in test/fixtures/frames/. UPDATE_FRAMES=1 writes the
 * frames anew; read the diff before committing it.
 */
import assert from 'node:assert/strict';
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {render} from 'ink-testing-library';
import type {Snapshot} from '../source/metrics/snapshot.js';
import {MODE_NAMES, type ModeName} from '../source/server/mode.js';
import {Dashboard} from '../source/ui/layout.js';
import {SEQUENTIAL_SNAPSHOT} from './helpers/snapshots.js';

const FRAMES = fileURLToPath(new URL('../../test/fixtures/frames/', import.meta.url));

/** What each model has that the others do not: worker threads, child processes, a pool queue. */
function workersOf(mode: ModeName): Snapshot['workers'] {
	const threads = {pool: 10, hybrid: 6, thread: 3}[mode as string] ?? 0;
	const processes = {process: 3, cluster: 2}[mode as string] ?? 0;
	return {threads, processes, busy: Math.min(3, threads + processes), rows: []};
}

function calm(mode: ModeName): Snapshot {
	return {
		...SEQUENTIAL_SNAPSHOT,
		server: {...SEQUENTIAL_SNAPSHOT.server, mode},
		workers: workersOf(mode),
	};
}

/** Long figures everywhere they can be: own process, the longest settings, many waiting clients. */
function crowded(mode: ModeName): Snapshot {
	const base = calm(mode);
	return {
		...base,
		server: {
			...base.server,
			handler: 'upper',
			port: 65_535,
			placement: 'worker',
			pid: 4_194_304,
			settings: {workMs: 9999, delayMs: 60_000, poolSize: 64, maxConnections: null},
		},
		workers: {...base.workers, busy: base.workers.threads},
		clients: {total: 1000, connected: 1000, waiting: 999},
		traffic: {...base.traffic, messagesInPerSec: 123_456, messagesOutPerSec: 123_456},
		queue: {...base.queue, line: 999, pool: 990, acceptQueue: 4096, waiting: 999},
	};
}

const STATES = [
	['calm', calm, false],
	['crowded-paused', crowded, true],
] as const;

for (const mode of MODE_NAMES) {
	for (const [state, make, paused] of STATES) {
		test(`80x24, ${mode}, ${state}: every line whole, frame as expected`, () => {
			const {lastFrame, unmount} = render(
				<Dashboard snapshot={make(mode)} columns={80} rows={24} paused={paused} />,
			);
			const frame = lastFrame()!;
			unmount();
			const lines = frame.split('\n');
			assert.equal(lines.length, 24);
			for (const line of lines) {
				assert.ok(line.length <= 80, `longer than 80: ${line}`);
				assert.ok(!line.includes('…'), `cut: ${line}`);
			}
			const file = `${FRAMES}${mode}-${state}.txt`;
			if (process.env['UPDATE_FRAMES'] === '1' || !existsSync(file)) {
				mkdirSync(FRAMES, {recursive: true});
				writeFileSync(file, frame + '\n');
			}
			assert.equal(frame + '\n', readFileSync(file, 'utf8'));
		});
	}
}
