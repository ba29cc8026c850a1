/**
 * Every model at 80x24, in a calm state and a crowded one: each line whole (nothing cut, nothing past
 * column 80). One golden frame a state (test/fixtures/frames/, the model with most to show: sequential
 * calm, pool crowded); every other model's frame is that one but for its status line and its
 * Concurrency panel, which must be those panels' own text, drawn alone. So a panel's wording changes
 * in the panel and in two frames. UPDATE_FRAMES=1 writes the frames anew; read the diff before
 * committing it.
 */
import assert from 'node:assert/strict';
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {render} from 'ink-testing-library';
import type {Snapshot} from '../source/metrics/snapshot.js';
import {MODE_NAMES, type ModeName} from '../source/server/mode.js';
import {Dashboard, layoutFor} from '../source/ui/layout.js';
import {ConcurrencyPanel} from '../source/ui/panels/concurrency.js';
import {StatusLine} from '../source/ui/panels/status-line.js';
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

/** The model whose frame is golden, for each state. */
const GOLDEN = {calm: 'sequential', 'crowded-paused': 'pool'} as const;

function draw(element: React.JSX.Element): string[] {
	const {lastFrame, unmount} = render(element);
	const frame = lastFrame()!;
	unmount();
	return frame.split('\n');
}

for (const mode of MODE_NAMES) {
	for (const [state, make, paused] of STATES) {
		const golden = GOLDEN[state];
		const what =
			mode === golden
				? 'frame as expected'
				: `${golden}'s frame but for its own status line and Concurrency panel`;
		test(`80x24, ${mode}, ${state}: every line whole, ${what}`, () => {
			const snapshot = make(mode);
			const lines = draw(<Dashboard snapshot={snapshot} columns={80} rows={24} paused={paused} />);
			assert.equal(lines.length, 24);
			for (const line of lines) {
				assert.ok(line.length <= 80, `longer than 80: ${line}`);
				assert.ok(!line.includes('…'), `cut: ${line}`);
			}
			const file = `${FRAMES}${golden}-${state}.txt`;
			if (mode === golden) {
				if (process.env['UPDATE_FRAMES'] === '1' || !existsSync(file)) {
					mkdirSync(FRAMES, {recursive: true});
					writeFileSync(file, lines.join('\n') + '\n');
				}
				assert.equal(lines.join('\n') + '\n', readFileSync(file, 'utf8'));
				return;
			}
			const expected = readFileSync(file, 'utf8').split('\n');
			const {trafficWidth, sideWidth} = layoutFor(80, 24);
			const status = draw(<StatusLine snapshot={snapshot} width={80} paused={paused} />);
			const panel = draw(
				<ConcurrencyPanel
					server={snapshot.server}
					workers={snapshot.workers}
					os={snapshot.os}
					width={sideWidth}
				/>,
			);
			assert.deepEqual(lines.slice(0, 1), status, 'the status line');
			for (let row = 1; row < lines.length; row++) {
				const line = lines[row]!;
				const inPanel = row - 1 < panel.length;
				const own = line.slice(trafficWidth, trafficWidth + sideWidth);
				if (inPanel) assert.equal(own, panel[row - 1], `row ${row}: the Concurrency panel`);
				const around = (text: string) =>
					inPanel ? text.slice(0, trafficWidth) + text.slice(trafficWidth + sideWidth) : text;
				assert.equal(around(line), around(expected[row]!), `row ${row}: as in ${file}`);
			}
		});
	}
}
