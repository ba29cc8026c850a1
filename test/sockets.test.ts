import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
	listenOverflowsIn,
	parseConnections,
	parseListeners,
	type SocketReading,
} from '../source/collectors/sockets.js';
import {ConnectionTracker, normalisePeer} from '../source/watch/tracker.js';

// Captured from `ss -tinHe 'sport = :18111'` against examples/python/sequential_server.py with
// eight clients that each sent "hello\n": one accepted and echoed, the others in the accept queue.
const SS_CONNECTIONS = `ESTAB 0      0      127.0.0.1:18111 127.0.0.1:38064 ino:12638 sk:d cgroup:/ <->
	 ts sack bbr wscale:10,10 rto:204 rtt:0.02/0.011 ato:40 mss:32768 cwnd:11 bytes_sent:6 bytes_acked:6 bytes_received:6 segs_out:2 segs_in:4 data_segs_out:1 data_segs_in:1 lastsnd:888
ESTAB 6      0      127.0.0.1:18111 127.0.0.1:38114 ino:0 sk:e cgroup:/ <->
	 ts sack bbr wscale:10,10 rto:200 rtt:0.009/0.004 ato:40 mss:32768 cwnd:10 bytes_received:6 segs_out:1 segs_in:3 data_segs_in:1 lastsnd:888
TIME-WAIT 0 0 127.0.0.1:18111 127.0.0.1:38000 ino:0 sk:f cgroup:/ <->
`;

test('ss -tinHe: queues, inode and tcp_info byte counters of each connection', () => {
	const sockets = parseConnections(SS_CONNECTIONS);
	assert.equal(sockets.length, 3);
	assert.deepEqual(sockets[0], {
		state: 'ESTAB',
		unread: 0,
		unsent: 0,
		local: '127.0.0.1:18111',
		peer: '127.0.0.1:38064',
		localPort: 18111,
		inode: 12638,
		bytesReceived: 6,
		bytesAcked: 6,
	});
	assert.equal(sockets[1]!.unread, 6);
	assert.equal(sockets[1]!.inode, 0);
	assert.equal(sockets[1]!.bytesAcked, 0);
	assert.equal(sockets[2]!.state, 'TIME-WAIT');
});

test('ss -ltnHe: a listener accept queue against its backlog, v4 and v6', () => {
	const listeners = parseListeners(
		'LISTEN 6      5      127.0.0.1:18111 0.0.0.0:* ino:12635 sk:14 cgroup:/ <->\n' +
			'LISTEN 0      511    [::]:8080 [::]:* ino:777 sk:15 cgroup:/ v6only:0 <->\n',
	);
	assert.deepEqual(listeners, [
		{local: '127.0.0.1:18111', port: 18111, acceptQueue: 6, backlog: 5, inode: 12635},
		{local: '[::]:8080', port: 8080, acceptQueue: 0, backlog: 511, inode: 777},
	]);
});

test('ListenOverflows is read by its name in the TcpExt header, wherever it is', () => {
	const netstat =
		'TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 42 43\nIpExt: InNoRoutes\nIpExt: 0\n';
	assert.equal(listenOverflowsIn(netstat), 42);
	assert.equal(listenOverflowsIn('IpExt: A\nIpExt: 1\n'), null);
});

test('a v4 client of a dual-stack listener is named as the client names itself', () => {
	assert.equal(normalisePeer('[::ffff:127.0.0.1]:5000'), '127.0.0.1:5000');
	assert.equal(normalisePeer('[::1]:5000'), '[::1]:5000');
});

const socket = (port: number, fields: Partial<SocketReading>): SocketReading => ({
	state: 'ESTAB',
	unread: 0,
	unsent: 0,
	local: '127.0.0.1:80',
	peer: `127.0.0.1:${port}`,
	localPort: 80,
	inode: 0,
	bytesReceived: 0,
	bytesAcked: 0,
	...fields,
});

test('a connection waits while unread past the threshold, and is served at the first read', () => {
	const tracker = new ConnectionTracker(500);
	const owners = new Map([[10, 4242]]);
	const waiting = socket(1, {inode: 10, unread: 6, bytesReceived: 6});
	const served = socket(2, {inode: 0, unread: 6, bytesReceived: 6});
	// First sight: both unread, under the threshold: not shown yet.
	assert.deepEqual(tracker.update([waiting, served], owners, 1000), []);
	// The second was accepted and read in between: active since first seen, never waiting.
	const read = {...served, inode: 10, unread: 0, bytesAcked: 6};
	const events = tracker.update([waiting, read], new Map([[10, 4242]]), 1600);
	assert.deepEqual(
		events.map((event) => [event.type, 'state' in event ? event.state : undefined]),
		[
			['conn-open', 'queued'],
			['conn-open', 'active'],
			['traffic', undefined],
		],
	);
	assert.equal(tracker.extras().get(1)?.place, 'unread');
	const later = tracker.update([{...waiting, unread: 0, bytesAcked: 6}, read], owners, 2600);
	assert.equal(later[0]?.type, 'conn-serve');
	assert.deepEqual(later[0] && 'by' in later[0] ? later[0].by : null, {kind: 'process', pid: 4242});
	assert.deepEqual(
		tracker.update([], owners, 3000).map((event) => event.type),
		['conn-close', 'conn-close'],
	);
});

test('TIME-WAIT is over, not a connection', () => {
	const tracker = new ConnectionTracker(0);
	assert.deepEqual(tracker.update([socket(1, {state: 'TIME-WAIT'})], new Map(), 0), []);
});
