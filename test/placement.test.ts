import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {once} from 'node:events';
import net from 'node:net';
import {test} from 'node:test';
import {Controller} from '../source/live/controller.js';
import {parseOptions} from '../source/options/options.js';
import {SPARE_CHILDREN} from '../source/server/modes/process.js';
import {childPids, isAlive, LineClient} from './helpers/servers.js';
import {waitFor} from './helpers/net.js';

const FIXTURE = new URL('fixtures/controller-own-process.js', import.meta.url);

test('worker placement: the same echo, from a server process that is a child of the dashboard', async () => {
	const controller = new Controller(
		parseOptions({port: '0', placement: 'worker', handler: 'upper', mode: 'thread'}),
	);
	try {
		await controller.start();
		const serverPid = controller.serverPid;
		assert.ok(serverPid !== null && serverPid !== process.pid);
		assert.ok(childPids().includes(serverPid));
		const client = await LineClient.connect(controller.port);
		assert.equal(await client.ask('over ipc'), 'OVER IPC');
		await waitFor(
			() =>
				controller.snapshot.connections.open === 1 &&
				controller.snapshot.server.placement === 'worker',
			() => JSON.stringify(controller.snapshot.connections),
		);
		// Live back into the dashboard's process: same port, same echo.
		await controller.dispatch({type: 'toggle-placement'});
		assert.equal(controller.serverPid, process.pid);
		assert.equal(isAlive(serverPid), false);
		const again = await LineClient.connect(controller.port);
		assert.equal(await again.ask('home'), 'HOME');
		await Promise.all([client.close(), again.close()]);
	} finally {
		await controller.stop();
	}
});

test('worker placement: a crashed server process is logged and can be restarted', async () => {
	const controller = new Controller(parseOptions({port: '0', placement: 'worker', mode: 'async'}));
	try {
		await controller.start();
		const first = controller.serverPid!;
		process.kill(first, 'SIGKILL');
		await waitFor(
			() => controller.serverPid === null,
			() => 'server process still counted as up',
		);
		await controller.dispatch({type: 'restart-server'});
		assert.ok(controller.serverPid !== null && controller.serverPid !== first);
		const client = await LineClient.connect(controller.port);
		assert.equal(await client.ask('back'), 'back');
		await client.close();
		const events = controller.snapshot.events.map((line) => line.text).join('\n');
		assert.match(events, /server process died \(SIGKILL\)/);
	} finally {
		await controller.stop();
	}
});

test('worker placement: the server process dies with the dashboard', async () => {
	const dashboard = spawn(process.execPath, [FIXTURE.pathname, 'process'], {
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	// Every wait bounded and the fixture killed on any failure: a test process left waiting on it
	// once held a run for 13 minutes.
	try {
		const [line] = (await once(dashboard.stdout, 'data', {
			signal: AbortSignal.timeout(30_000),
		})) as [Buffer];
		const {port, serverPid} = JSON.parse(line.toString()) as {port: number; serverPid: number};
		const client = await LineClient.connect(port);
		assert.equal(await client.ask('alive'), 'alive');
		// The client's child, and the spares started one at a time beside it.
		await waitFor(
			() => childPids(serverPid).length === 1 + SPARE_CHILDREN,
			() => `children of the server: ${childPids(serverPid).join(',')}`,
			30_000,
		);
		const grandchildren = childPids(serverPid);
		dashboard.kill('SIGKILL');
		await waitFor(
			() => !isAlive(serverPid) && grandchildren.every((pid) => !isAlive(pid)),
			() => `server process ${serverPid} or its children still alive`,
		);
		await waitFor(() => client.isClosed, 'the client to see its connection end');
	} finally {
		dashboard.kill('SIGKILL');
	}
});

test('worker placement: after a restart failed on a taken port, the panel says down and restart tries again once it is free', async () => {
	const controller = new Controller(parseOptions({port: '0', placement: 'worker', mode: 'async'}));
	const blocker = net.createServer();
	try {
		await controller.start();
		const port = controller.port;
		process.kill(controller.serverPid!, 'SIGKILL');
		await waitFor(() => controller.serverPid === null, 'the server process counted as down');
		blocker.listen(port, '127.0.0.1');
		await once(blocker, 'listening');
		await controller.dispatch({type: 'restart-server'});
		assert.equal(controller.serverPid, null, 'no server process left that cannot listen');
		await waitFor(
			() => controller.snapshot.server.pid === null,
			() => `the panel says down (pid ${controller.snapshot.server.pid})`,
		);
		await new Promise((resolve) => blocker.close(resolve));
		await controller.dispatch({type: 'restart-server'});
		assert.ok(controller.serverPid !== null, 'restarted once the port is free');
		await waitFor(
			() => controller.snapshot.server.pid === controller.serverPid,
			'the panel says up',
		);
		const client = await LineClient.connect(port);
		assert.equal(await client.ask('back'), 'back');
		await client.close();
	} finally {
		blocker.close();
		await controller.stop();
	}
});
