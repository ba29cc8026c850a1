import assert from 'node:assert/strict';
import {test} from 'node:test';
import {inert} from '../source/shared/format.js';
import {isLoopback} from '../source/options/hosts.js';
import {parseOptions} from '../source/options/options.js';
import {UsageError} from '../source/options/values.js';
import {acceptQueueIn} from '../source/collectors/proc.js';
import {makeHandler, countMessages} from '../source/server/handler.js';

test('defaults', () => {
	assert.deepEqual(parseOptions({}), {
		mode: 'async',
		host: '127.0.0.1',
		port: 8080,
		handler: 'echo',
		clients: 0,
		rate: 2,
		json: false,
		color: true,
		placement: 'in-process',
		clusterAccept: 'round-robin',
		poolSize: 10,
		workMs: 0,
		delayMs: 0,
		maxConnections: null,
		idleTimeout: null,
		maxWorkers: null,
		backlog: null,
		interval: 1,
	});
});

test('--backlog: each model its own by default (null), or the one given for all, 1 to 65535', () => {
	assert.equal(parseOptions({backlog: '4096'}).backlog, 4096);
	assert.equal(parseOptions({backlog: '1'}).backlog, 1);
	for (const bad of ['0', '65536', '-5', 'lots', '2.5', ''])
		assert.throws(
			() => parseOptions({backlog: bad}),
			(error: unknown) =>
				error instanceof UsageError &&
				/^--backlog must be a whole number from 1 to 65535 \(got ".*"\)$/.test(error.message),
			bad,
		);
});

for (const [flags, message] of [
	[{mode: 'fork'}, /^--mode must be one of sequential, async.* \(got "fork"\)$/],
	[{port: '70000'}, /^--port must be a whole number from 0 to 65535 \(got "70000"\)$/],
	[{port: 'abc'}, /^--port must be a whole number/],
	[{port: '-1'}, /^--port must be a whole number/],
	[{handler: 'rot13'}, /^--handler must be one of echo, upper \(got "rot13"\)$/],
	[{clients: '1.5'}, /^--clients must be a whole number from 0 to 10000/],
	[{rate: '0'}, /^--rate must be a number above 0/],
	[{rate: '-3'}, /^--rate must be a number above 0/],
	[{host: ''}, /^--host must be an IP address or host name/],
] as const) {
	test(`rejects ${JSON.stringify(flags)}`, () => {
		assert.throws(
			() => parseOptions(flags),
			(error: unknown) => {
				assert.ok(error instanceof UsageError);
				assert.match(error.message, message);
				return true;
			},
		);
	});
}

test('upper changes ASCII letters only; echo changes nothing', () => {
	const input = Buffer.from('héllo, World! \x1b[31m\n', 'utf8');
	assert.deepEqual(makeHandler('echo')(input), input);
	assert.deepEqual(makeHandler('upper')(input), Buffer.from('HéLLO, WORLD! \x1b[31M\n', 'utf8'));
	assert.equal(countMessages(Buffer.from('a\nb\nc')), 2);
});

test('accept queue: rx_queue of listening sockets on the port, from /proc/net/tcp', () => {
	const table = [
		'  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
		'   0: 0100007F:1F90 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 1 1',
		'   1: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 2 1',
		'   2: 0100007F:1F91 00000000:0000 0A 00000000:00000007 00:00000000 00000000     0        0 3 1',
	].join('\n');
	assert.equal(acceptQueueIn(table, 0x1f90), 3);
	assert.equal(acceptQueueIn(table, 0x1f91), 7);
	assert.equal(acceptQueueIn(table, 1), 0);
});

test('inert: no control byte of network text survives, printable text is kept', () => {
	const hostile = 'hi\x1b[2J\x1b]0;pwned\x07\r\n\x9b31m\u00e9';
	const safe = inert(hostile);
	assert.equal(safe, 'hi\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\x0a\\x9b31mé');
	// eslint-disable-next-line no-control-regex
	assert.doesNotMatch(safe, /[\u0000-\u001f\u007f-\u009f]/);
});

test('loopback hosts', () => {
	for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost'])
		assert.ok(isLoopback(host), host);
	for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com'])
		assert.ok(!isLoopback(host), host);
});
