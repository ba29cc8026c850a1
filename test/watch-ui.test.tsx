import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import type {Snapshot} from '../source/metrics/snapshot.js';
import {Dashboard} from '../source/ui/layout.js';
import {StatusLine} from '../source/ui/panels/status-line.js';
import {SEQUENTIAL_SNAPSHOT, WATCHED, WATCHED_THREADS as THREADS} from './helpers/snapshots.js';

function frame(snapshot: Snapshot, view?: 'help' | 'processes'): string {
	const {lastFrame, unmount} = render(
		<Dashboard snapshot={snapshot} columns={80} rows={24} view={view} />,
	);
	const text = lastFrame() ?? '';
	unmount();
	return text;
}

test('watch: the panels show the kernel queues, not the figures only our server knows', () => {
	const text = frame(WATCHED);
	assert.match(text, /waiting for srv\s+2/);
	// The kernel holds backlog + 1: 3 of 6 with listen(5).
	assert.match(text, /accept\s+3\/6 backlog 5/);
	assert.match(text, /listen overflows\s+2/);
	assert.match(text, /Recv-Q\s+40B Send-Q\s+7B/);
	assert.match(text, /run\/sleep\/blk\s+1\/1\/1/);
	assert.match(text, /RQ\/SQ/);
	assert.match(text, /20B\/0B/);
	assert.match(text, /\(unread\)/);
	for (const absent of [
		'lines/s',
		'msg/s',
		'work 0ms',
		'wait line',
		'pool queue',
		'MSGS',
		'1-8 model',
	]) {
		assert.ok(!text.includes(absent), `${absent} shown for a watched server:\n${text}`);
	}
});

test('watch: the dashboard without a watch section is unchanged', () => {
	const text = frame(SEQUENTIAL_SNAPSHOT);
	for (const present of ['lines/s', 'wait line', 'MSGS', '1-8 model'])
		assert.ok(text.includes(present));
});

test('watch: the help lists no key that would change the server', () => {
	const text = frame(WATCHED, 'help');
	assert.match(text, /add one \/ ten test clients/);
	for (const absent of ['next model', 'thread pool', 'crash one worker', 'restart the server']) {
		assert.ok(!text.includes(absent), `${absent} in the help of watch`);
	}
});

test('watch: t shows every OS thread with its state and CPU, names made inert', async () => {
	const {lastFrame, unmount} = render(
		<Dashboard snapshot={WATCHED} columns={80} rows={24} view="processes" />,
	);
	// The table is loaded on first use.
	for (let i = 0; i < 100 && !(lastFrame() ?? '').includes('running'); i++) {
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
	const text = lastFrame() ?? '';
	unmount();
	assert.match(text, /OS threads 3/);
	assert.match(text, /4243.*worker\\x1b\[2J.*running.*12\.5%/);
	assert.match(text, /4244.*blocked/);
	assert.ok(!text.includes('\u001b[2J'));
});

test('watch: the Concurrency panel sums what the threads wait in, zombies beside the processes', () => {
	const text = frame(THREADS);
	assert.match(text, /3 recv 1 accept/);
	assert.match(text, /processes\s+1 \+1 zombie/);
	// Each connection row names the thread on it and what it waits in.
	assert.match(text, /4243 recv/);
	assert.match(text, /4245 recv/);
});

test('watch: wrong replies say what they look like, and the flag that fits', () => {
	const {lastFrame, unmount} = render(<StatusLine snapshot={THREADS} width={100} paused={false} />);
	const text = lastFrame() ?? '';
	unmount();
	assert.match(text, /114 wrong replies: replies are upper-cased: try --handler upper/);
});

test('watch: t shows each thread in its call, on its connection, for how long; zombies labelled', async () => {
	const {lastFrame, unmount} = render(
		<Dashboard snapshot={THREADS} columns={80} rows={24} view="processes" />,
	);
	for (let i = 0; i < 100 && !(lastFrame() ?? '').includes('recvfrom'); i++) {
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
	const text = lastFrame() ?? '';
	unmount();
	assert.match(text, /Processes 1 \(\+1 zombie\)/);
	assert.match(text, /4242.*accept4.*listen :8080.*1m01s/);
	assert.match(text, /4243.*recvfrom.*#1 127\.0\.0\.1:52060.*2\.5s/);
	assert.match(text, /4300 +4300 +python3\\.*zombie.*of 4242/);
	assert.ok(!text.includes('\u001b[2J'));
});
