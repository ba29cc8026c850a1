import assert from 'node:assert/strict';
import {test} from 'node:test';
import {ReplyChecker} from '../source/clients/reply-check.js';

test('replies are checked line by line, in order, across chunk boundaries', () => {
	const checker = new ReplyChecker('upper');
	checker.sent('client 1 message 1');
	checker.sent('client 1 message 2');
	assert.equal(checker.received(Buffer.from('CLIENT 1 MES')), 0);
	assert.equal(checker.received(Buffer.from('SAGE 1\nclient 1 message 2\n')), 1);
});

test('an echo is right for echo; a reply nobody asked for is wrong', () => {
	const checker = new ReplyChecker('echo');
	checker.sent('hello');
	assert.equal(checker.received(Buffer.from('hello\nextra\n')), 1);
});

test('a reply line without end is held only up to a bound, then counted wrong', () => {
	const checker = new ReplyChecker('echo');
	checker.sent('x');
	for (let i = 0; i < 100; i++) assert.equal(checker.received(Buffer.alloc(1024, 120)), 0);
	assert.equal(checker.received(Buffer.from('\n')), 1);
	checker.sent('y');
	assert.equal(checker.received(Buffer.from('y\n')), 0);
});
