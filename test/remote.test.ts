import assert from 'node:assert/strict';
import {mkdtempSync, statSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {once} from 'node:events';
import {test} from 'node:test';
import {UsageError} from '../source/options/values.js';
import {parseHostPort, parseEndpointOptions} from '../source/options/endpoints.js';
import {listServeSockets, resolveTarget, socketPathFor} from '../source/remote/endpoint.js';
import {ensurePrivateDirectory} from '../source/remote/private-folder.js';
import {AttachError, RemoteSource} from '../source/remote/remote-source.js';
import {
	LineSplitter,
	MAX_OBSERVER_LINE,
	parseObserverMessage,
	parseServerMessage,
} from '../source/remote/wire.js';
import {startServing} from './helpers/control.js';
import {SEQUENTIAL_SNAPSHOT} from './helpers/snapshots.js';
import {sleep, waitFor} from './helpers/net.js';

test('observer messages: only the known ones, every field checked', () => {
	assert.deepEqual(
		parseObserverMessage('{"type":"action","action":{"type":"add-clients","count":10}}'),
		{
			type: 'action',
			action: {type: 'add-clients', count: 10},
		},
	);
	assert.deepEqual(parseObserverMessage('{"type":"window","window":{"offset":3,"limit":17}}'), {
		type: 'window',
		window: {offset: 3, limit: 17},
	});
	// The window carries the sort and the filter, as the local one does.
	assert.deepEqual(
		parseObserverMessage(
			'{"type":"window","window":{"offset":0,"limit":5,"sort":"rtt","filter":"queued"}}',
		),
		{type: 'window', window: {offset: 0, limit: 5, sort: 'rtt', filter: 'queued'}},
	);
	// Every action a key can send, numbered so the server can say what became of it.
	for (const action of [
		{type: 'toggle-placement'},
		{type: 'restart-server'},
		{type: 'work', direction: 1},
		{type: 'delay', direction: -1},
		{type: 'resize-pool', by: -1},
		{type: 'set-max-connections', max: null},
		{type: 'crash-worker'},
	]) {
		assert.deepEqual(parseObserverMessage(JSON.stringify({type: 'action', id: 7, action})), {
			type: 'action',
			id: 7,
			action,
		});
	}
	// An action out of range or unknown is answered with the reason, not taken for garbage.
	for (const action of [
		'{"type":"add-clients","count":1e9}',
		'{"type":"add-clients","count":-1}',
		'{"type":"add-clients","count":"3"}',
		'{"type":"set-mode","mode":"__proto__"}',
		'{"type":"drop-clients","count":1.5}',
		'{"type":"work","direction":5}',
		'{"type":"resize-pool","by":1e9}',
		'{"type":"teleport"}',
	]) {
		const parsed = parseObserverMessage(`{"type":"action","action":${action}}`);
		assert.equal(parsed?.type, 'bad-action', action);
	}
	for (const bad of [
		'not json',
		'[]',
		'null',
		'{"type":"stop"}',
		'{"type":"action","id":-1,"action":{"type":"next-mode"}}',
		'{"type":"window","window":{"offset":0,"limit":100000}}',
		'{"type":"window","window":{"offset":0,"limit":5,"sort":"__proto__"}}',
		`{"type":"window","window":{"offset":0,"limit":5,"filter":"${'x'.repeat(41)}"}}`,
		'{"type":"hello","protocol":2,"version":{}}',
		'{"type":"hello","protocol":2,"version":"1","nonce":"abc","proof":"00"}',
		`{"type":"hello","protocol":2,"version":"1","proof":"${'x'.repeat(64)}"}`,
	]) {
		assert.equal(parseObserverMessage(bad), null, bad);
	}
});

test('server messages: a snapshot of the wrong shape is dropped; control characters made inert as everywhere', () => {
	assert.equal(parseServerMessage('{"type":"snapshot","snapshot":{"at":1}}'), null);
	const error = parseServerMessage(JSON.stringify({type: 'error', message: 'a\u001b[2Jb'}));
	assert.deepEqual(error, {type: 'error', message: 'a\\x1b[2Jb'});
});

test('server messages: a snapshot is checked whole; a hole or a wrong type anywhere drops it', () => {
	const parse = (snapshot: unknown) =>
		parseServerMessage(JSON.stringify({type: 'snapshot', snapshot}));
	assert.deepEqual(parse(SEQUENTIAL_SNAPSHOT), {type: 'snapshot', snapshot: SEQUENTIAL_SNAPSHOT});
	/** The snapshot with the value at `path` replaced (undefined: removed). */
	const changed = (path: readonly (string | number)[], value: unknown) => {
		const snapshot = structuredClone(SEQUENTIAL_SNAPSHOT) as unknown as Record<string, unknown>;
		let at = snapshot;
		for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
		if (value === undefined) delete at[path.at(-1)!];
		else at[path.at(-1)!] = value;
		return snapshot;
	};
	const broken: ReadonlyArray<[readonly (string | number)[], unknown]> = [
		[['connections', 'rows', 0, 'bytesIn'], '12'],
		[['queue', 'output'], undefined],
		[['server', 'settings', 'workMs'], null],
		[['connections', 'rows', 0, 'state'], 'dancing'],
		[['events'], [{at: 1, level: 'info'}]],
		[['workers', 'rows'], [{worker: {kind: 'thread'}}]],
	];
	for (const [path, value] of broken) {
		assert.equal(parse(changed(path, value)), null, path.join('.'));
	}
});

test('lines are bounded: a longer one is an overflow, not a bigger buffer', () => {
	const lines = new LineSplitter(10);
	assert.deepEqual(lines.push('abc\nde'), ['abc']);
	assert.deepEqual(lines.push('f\n\n'), ['def']);
	assert.equal(lines.push('x'.repeat(11)), 'overflow');
});

test('reach flags: loopback by default; wider needs a flag, and a control port a token', () => {
	assert.deepEqual(parseHostPort('target', '10.0.0.5:7'), {host: '10.0.0.5', port: 7});
	assert.deepEqual(parseHostPort('target', '[::1]:8080'), {host: '::1', port: 8080});
	assert.deepEqual(parseHostPort('target', '8080'), {host: '127.0.0.1', port: 8080});
	assert.throws(() => parseHostPort('target', 'host:0'), UsageError);
	assert.throws(() => parseHostPort('target', 'a:b:c'), UsageError);
	assert.throws(
		() => parseEndpointOptions({metricsPort: '9100', metricsHost: '0.0.0.0'}),
		/--metrics-allow-remote/,
	);
	assert.equal(
		parseEndpointOptions({metricsPort: '9100', metricsHost: '0.0.0.0', metricsAllowRemote: true})
			.metrics?.host,
		'0.0.0.0',
	);
	assert.throws(
		() => parseEndpointOptions({controlPort: '7070', controlHost: '0.0.0.0'}, {}),
		/--control-allow-remote/,
	);
	assert.throws(
		() =>
			parseEndpointOptions(
				{controlPort: '7070', controlHost: '0.0.0.0', controlAllowRemote: true},
				{},
			),
		/token/,
	);
	const wide = parseEndpointOptions(
		{controlPort: '7070', controlHost: '0.0.0.0', controlAllowRemote: true},
		{CONCURRENCY_TOP_TOKEN: 'a-long-enough-secret'},
	);
	assert.equal(wide.control.token, 'a-long-enough-secret');
});

test('attach with no target finds the only serve, and says so when there is none', () => {
	const directory = ensurePrivateDirectory(
		path.join(mkdtempSync(path.join(os.tmpdir(), 'ct-')), 'd'),
	);
	assert.equal(statSync(directory).mode & 0o777, 0o700);
	assert.throws(() => resolveTarget(undefined, directory), /no concurrency-top serve is running/);
	assert.deepEqual(resolveTarget('127.0.0.1:7070', directory), {
		kind: 'tcp',
		host: '127.0.0.1',
		port: 7070,
	});
	assert.throws(() => resolveTarget('what', directory), /socket path or HOST:PORT/);
});

test('several observers drive one server; a bad one hurts nobody', async () => {
	const {controller, control, logs} = await startServing();
	const directory = ensurePrivateDirectory(
		path.join(mkdtempSync(path.join(os.tmpdir(), 'ct-')), 'd'),
	);
	const endpoint = await control.listenSocket(socketPathFor(process.pid, directory));
	assert.equal(endpoint.kind, 'socket');
	const socketPath = endpoint.kind === 'socket' ? endpoint.path : '';
	assert.equal(statSync(socketPath).mode & 0o777, 0o600, 'the socket is for this user only');
	assert.deepEqual(listServeSockets(directory), [socketPath]);
	const target = resolveTarget(undefined, directory);
	const a = await RemoteSource.connect(target, {version: 'test'});
	const b = await RemoteSource.connect(target, {version: 'test'});
	try {
		assert.equal(a.serverPid, process.pid);
		// A peer that sends garbage, an unknown message, a huge line, then vanishes.
		const rogue = net.connect({path: socketPath});
		rogue.on('error', () => {});
		rogue.resume();
		await once(rogue, 'connect');
		rogue.write(
			'garbage\n{"type":"shutdown"}\n{"type":"action","action":{"type":"add-clients","count":1}}\n',
		);
		rogue.write('y'.repeat(MAX_OBSERVER_LINE * 2));
		await once(rogue, 'close');
		// Another that connects and is cut off mid-line.
		const abrupt = net.connect({path: socketPath});
		abrupt.on('error', () => {});
		await once(abrupt, 'connect');
		abrupt.write('{"type":"hello","protocol":2,"vers');
		abrupt.destroy();

		await a.dispatch({type: 'add-clients', count: 2});
		await waitFor(() => b.snapshot.connections.active === 2, 'b sees the two clients a added');
		assert.equal(controller.snapshot.clients.total, 2, 'the rogue action before hello was not run');
		await b.dispatch({type: 'set-mode', mode: 'reactor'});
		await waitFor(() => a.snapshot.server.mode === 'reactor', 'a sees the model b chose');
		assert.equal(controller.snapshot.server.mode, 'reactor');

		// Each observer has its own window of rows.
		a.setWindow({offset: 0, limit: 1});
		await waitFor(() => a.snapshot.connections.rows.length === 1, 'a gets one row');
		await sleep(300);
		assert.ok(b.snapshot.connections.rows.length >= 2, 'b keeps its own window');

		// One observer leaves; the other goes on, and so does the server.
		a.close();
		await waitFor(() => control.observerCount === 1, 'a gone');
		const at = b.snapshot.at;
		await waitFor(() => b.snapshot.at > at, 'b still receives snapshots');
		assert.ok(
			logs.some((line) => /refused: a line longer/.test(line)),
			logs.join('\n'),
		);
	} finally {
		b.close();
		await control.close();
		await controller.stop();
	}
	assert.deepEqual(listServeSockets(directory), [], 'the socket is removed on close');
});

test('a hostile server cannot write escape sequences to the observer terminal with its hello', async () => {
	const version = '\u001b]0;pwned\u0007\u001b[2J';
	const server = net.createServer((socket) => {
		socket.on('error', () => {});
		socket.write(
			`${JSON.stringify({type: 'hello', protocol: 999, version, pid: 1, tokenRequired: false})}\n`,
		);
	});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const {port} = server.address() as net.AddressInfo;
	try {
		await assert.rejects(
			RemoteSource.connect({kind: 'tcp', host: '127.0.0.1', port}, {version: 'test'}),
			(error: unknown) =>
				error instanceof AttachError &&
				/speaks protocol 999/.test(error.message) &&
				// eslint-disable-next-line no-control-regex
				!/[\u0000-\u001f\u007f-\u009f]/.test(error.message),
		);
	} finally {
		server.close();
	}
});

test('a token-protected port refuses a wrong token with one line', async () => {
	// As on a machine without /proc: no observer is known by its uid, each must prove the token.
	const {controller, control} = await startServing('a-long-enough-secret', {
		procNet: '/nonexistent-proc/net',
	});
	const endpoint = await control.listenTcp('127.0.0.1', 0);
	const port = endpoint.kind === 'tcp' ? endpoint.port : 0;
	try {
		await assert.rejects(
			RemoteSource.connect(
				{kind: 'tcp', host: '127.0.0.1', port},
				{version: 'test', token: 'nope'},
			),
			(error: unknown) =>
				error instanceof AttachError && /refused: wrong or missing token/.test(error.message),
		);
		await assert.rejects(
			RemoteSource.connect({kind: 'tcp', host: '127.0.0.1', port}, {version: 'test'}),
			/needs a token: give it with --control-token T or CONCURRENCY_TOP_TOKEN=T/,
		);
		const good = await RemoteSource.connect(
			{kind: 'tcp', host: '127.0.0.1', port},
			{version: 'test', token: 'a-long-enough-secret'},
		);
		assert.equal(good.snapshot.server.port, controller.port);
		good.close();
	} finally {
		await control.close();
		await controller.stop();
	}
	await assert.rejects(
		RemoteSource.connect({kind: 'tcp', host: '127.0.0.1', port}, {version: 'test'}),
		/nothing is listening at 127\.0\.0\.1:\d+/,
	);
});
