import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {Dashboard, layoutFor} from '../source/ui/layout.js';
import {roomFor} from '../source/ui/view-state.js';
import type {Snapshot, ThreadFigures} from '../source/metrics/snapshot.js';
import {SEQUENTIAL_SNAPSHOT} from './helpers/snapshots.js';

// Issue 25 for our own models: the `t` view lists every thread of our server with what it is
// blocked in, on which connection and for how long; the Concurrency panel sums them beside the
// model's worker threads.

function frame(element: React.JSX.Element): string {
	const {lastFrame, unmount} = render(element);
	const text = lastFrame()!;
	unmount();
	return text;
}

/** The frame with the tables' column rules gone, so a row reads as its cells. */
const cells = (text: string) => text.replaceAll('│', ' ');

const task = (
	tid: number,
	name: string,
	call: string,
	kind: NonNullable<ThreadFigures['activity']>['kind'],
	fd: number | null,
	connection: ThreadFigures['connection'],
	forMs: number,
): ThreadFigures => ({
	tid,
	name,
	state: 'S',
	cpuPercent: 0,
	activity: {kind, call, fd, inode: fd === null ? null : 9000 + fd, from: 'syscall', forMs},
	connection,
});

const THREAD_MODEL: Snapshot = {
	...SEQUENTIAL_SNAPSHOT,
	server: {...SEQUENTIAL_SNAPSHOT.server, mode: 'thread'},
	workers: {...SEQUENTIAL_SNAPSHOT.workers, threads: 3, busy: 3},
	os: {
		acceptQueue: 0,
		processes: [
			{
				pid: 4242,
				name: 'node',
				threads: 6,
				rssBytes: 80 * 1024 * 1024,
				cpuPercent: 3,
				tasks: [
					task(4242, 'node', 'epoll_wait', 'poll', 13, null, 200),
					task(4243, 'node', 'futex', 'lock', null, null, 5000),
					task(4250, 'node', 'read', 'recv', 21, {id: 4, peer: '127.0.0.1:50110'}, 12_000),
					task(4251, 'node', 'read', 'recv', 22, {id: 5, peer: '127.0.0.1:50112'}, 9100),
					task(4252, 'node', 'read', 'recv', 23, {id: 6, peer: '[::1]:50114'}, 0),
					task(4253, 'node', 'futex', 'lock', null, null, 5000),
				],
			},
		],
	},
};

test('our thread model: the Concurrency panel sums what the threads are blocked in, beside the workers', () => {
	const lines = frame(<Dashboard snapshot={THREAD_MODEL} columns={80} rows={24} />).split('\n');
	const concurrency = lines.slice(2, 7).map((line) => line.slice(35, 56));
	assert.deepEqual(concurrency, [
		'server   4242 in-proc',
		'OS thr/procs      6/1',
		'worker thr   3/3 busy',
		'3 recv 1 poll 2 lock ',
		'rss cpu        80M 3%',
	]);
});

test('our thread model, t: each thread, its call, its connection and how long', () => {
	const text = cells(
		frame(<Dashboard snapshot={THREAD_MODEL} columns={80} rows={24} view="processes" />),
	);
	assert.match(text, /Processes 1 · OS threads 6 · workers 3\/3 busy/);
	assert.match(text, /4250\s+node\s+read\s+#4 127\.0\.0\.1:50110\s+12s/);
	assert.match(text, /4251\s+node\s+read\s+#5 127\.0\.0\.1:50112\s+9\.1s/);
	assert.match(text, /4252\s+node\s+read\s+#6 \[::1\]:50114\s+now/);
	assert.match(text, /4242\s+node\s+epoll_wait\s+fd 13\s+200ms/);
	assert.match(text, /4243\s+node\s+futex\s+5\.0s/);
});

test('our thread model, t: the threads scroll with j/k, and the line under says what is above and below', () => {
	const many: Snapshot = {
		...THREAD_MODEL,
		os: {
			acceptQueue: 0,
			processes: [
				{
					...THREAD_MODEL.os!.processes[0]!,
					threads: 40,
					tasks: Array.from({length: 40}, (_, i) =>
						task(
							5000 + i,
							'node',
							'read',
							'recv',
							30 + i,
							{id: i + 1, peer: `127.0.0.1:${40_000 + i}`},
							1000,
						),
					),
				},
			],
		},
	};
	const top = cells(frame(<Dashboard snapshot={many} columns={80} rows={24} view="processes" />));
	assert.match(top, /5000\s+node/);
	assert.match(top, /more threads below/);
	const scrolled = cells(
		frame(
			<Dashboard snapshot={many} columns={80} rows={24} view="processes" processesOffset={5} />,
		),
	);
	assert.doesNotMatch(scrolled, /5004\s+node/);
	assert.match(scrolled, /5005\s+node/);
	assert.match(scrolled, /5 above/);
	// G scrolls to the offset roomFor gives: the last thread shows, and nothing is below it.
	const last = roomFor(many, layoutFor(80, 24).connectionRows).lastProcess;
	const bottom = cells(
		frame(
			<Dashboard snapshot={many} columns={80} rows={24} view="processes" processesOffset={last} />,
		),
	);
	assert.match(bottom, /5039\s+node/);
	assert.doesNotMatch(bottom, /below/);
	assert.match(bottom, new RegExp(`${last} above`));
});
