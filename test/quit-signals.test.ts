import assert from 'node:assert/strict';
import {test} from 'node:test';
import {onQuitSignal, QUIT_SIGNALS} from '../source/shared/quit-signals.js';

test('onQuitSignal: the first of SIGINT, SIGTERM, SIGHUP quits, once; later signals are ignored, not fatal', () => {
	const before = QUIT_SIGNALS.map((signal) => process.listenerCount(signal));
	const calls: string[] = [];
	onQuitSignal((signal) => calls.push(signal));
	assert.deepEqual(
		QUIT_SIGNALS.map((signal) => process.listenerCount(signal)),
		before.map((count) => count + 1),
	);
	process.emit('SIGHUP');
	process.emit('SIGINT');
	process.emit('SIGTERM');
	assert.deepEqual(calls, ['SIGHUP']);
});
