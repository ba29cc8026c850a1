import assert from 'node:assert/strict';
import {test} from 'node:test';
import {activitySummary, parseSyscall, syscallTable} from '../source/collectors/thread-activity.js';
import {ReplyChecker} from '../source/clients/reply-check.js';

// The parts of issue 25 that are text: /proc/<pid>/task/<tid>/syscall as the kernel writes it, the
// sum the Concurrency panel shows, and what a wrong reply looks like.

test('syscall: the call, and the fd for the calls that take one, per architecture', () => {
	const x64 = syscallTable('x64');
	assert.deepEqual(
		parseSyscall(
			'288 0x3 0x7ffd6a936f00 0x7ffd6a936ef4 0x80000 0x0 0x0 0x7ffd6a936ea0 0x7f88f0d28fa8',
			x64,
		),
		{kind: 'accept', call: 'accept4', fd: 3},
	);
	assert.deepEqual(parseSyscall('45 0x1f 0x7f88e8000bc0 0x400 0x0 0x0 0x0 0x7f 0x7f', x64), {
		kind: 'recv',
		call: 'recvfrom',
		fd: 31,
	});
	assert.deepEqual(parseSyscall('202 0x7f 0x80 0x0 0x0 0x0 0x0 0x7f 0x7f', x64), {
		kind: 'lock',
		call: 'futex',
		fd: null,
	});
	assert.deepEqual(parseSyscall('running', x64), {kind: 'running', call: null, fd: null});
	// Blocked, but not in a system call (a page fault).
	assert.deepEqual(parseSyscall('-1 0x7ffd 0x7f88', x64), {kind: 'other', call: null, fd: null});
	// The same numbers mean other calls on arm64: 45 is no call we name there, 242 is accept4.
	const arm64 = syscallTable('arm64');
	assert.equal(parseSyscall('45 0x3 0 0 0 0 0 0 0', arm64).call, 'syscall 45');
	assert.equal(parseSyscall('242 0x3 0 0 0 0 0 0 0', arm64).call, 'accept4');
	// An architecture without a table says it does not know, rather than guess.
	assert.equal(parseSyscall('45 0x3 0 0 0 0 0 0 0', syscallTable('riscv64')).kind, 'unknown');
});

test('the Concurrency panel sum: as long a form as fits', () => {
	const counts = new Map([
		['recv', 3],
		['accept', 1],
		['lock', 11],
	] as const);
	assert.equal(activitySummary(counts), '3 in recv, 1 in accept, 11 on a lock');
	assert.equal(activitySummary(counts, 21), '11 lock 3 recv +1');
	assert.equal(activitySummary(counts, 12), '11 lock +4');
	assert.equal(activitySummary(counts, 9), '3r 1a 11l');
	assert.equal(activitySummary(counts, 24), '3 recv 1 accept 11 lock');
});

test('a wrong reply says what it looks like and which flag fits', () => {
	const upper = new ReplyChecker('echo');
	upper.sent('client 1 message 1');
	assert.equal(upper.received(Buffer.from('CLIENT 1 MESSAGE 1\n')), 1);
	assert.equal(upper.hint, 'replies are upper-cased: try --handler upper');
	const echo = new ReplyChecker('upper');
	echo.sent('client 1 message 1');
	echo.received(Buffer.from('client 1 message 1\n'));
	assert.equal(echo.hint, 'replies are echoes: try --handler echo');
	const http = new ReplyChecker('echo');
	http.sent('client 1 message 1');
	http.received(Buffer.from('HTTP/1.1 400 Bad Request\r\n'));
	assert.equal(http.hint, 'replies look like "HTTP/1.1 400 Bad Request…": try --any-reply');
});
