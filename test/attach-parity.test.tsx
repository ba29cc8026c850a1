import assert from 'node:assert/strict';
import {once} from 'node:events';
import net from 'node:net';
import {PassThrough} from 'node:stream';
import {test} from 'node:test';
import {render} from '#ink';
import {Controller} from '../source/live/controller.js';
import type {DashboardSource} from '../source/metrics/source.js';
import {parseOptions} from '../source/options/options.js';
import {ControlServer} from '../source/remote/control-server.js';
import {RemoteSource} from '../source/remote/remote-source.js';
import {PROTOCOL} from '../source/remote/wire.js';
import {App} from '../source/ui/app.js';
import {sleep, waitFor} from './helpers/net.js';

/** A bare observer on a socket: says hello, collects the reasons of refused results. */
async function rawObserver(port: number) {
	const socket = net.connect({host: '127.0.0.1', port});
	socket.setEncoding('utf8');
	let text = '';
	socket.on('data', (chunk: string) => {
		text += chunk;
	});
	await once(socket, 'connect');
	socket.write(`${JSON.stringify({type: 'hello', protocol: PROTOCOL, version: 'test'})}\n`);
	const results = () =>
		text
			.split('\n')
			.filter((line) => line.startsWith('{"type":"result"'))
			.map((line) => (JSON.parse(line) as {result: {why: string}}).result.why);
	return {socket, results};
}

const TIMING = {tickMs: 100, rollMs: 500, procMs: 500, hostMs: 5000};

/** The App on `source`, drawn by the bundled Ink into a fake 100x30 terminal whose keys we type. */
function mount(source: DashboardSource) {
	const stdin = Object.assign(new PassThrough(), {
		isTTY: true,
		setRawMode: () => {},
		ref: () => {},
		unref: () => {},
	});
	let last = '';
	const stdout = Object.assign(new PassThrough(), {isTTY: true, columns: 100, rows: 30});
	stdout.on('data', (chunk: Buffer) => {
		last = chunk.toString();
	});
	const instance = render(<App source={source} ascii />, {
		stdin: stdin as unknown as NodeJS.ReadStream,
		stdout: stdout as unknown as NodeJS.WriteStream,
		debug: true,
		exitOnCtrlC: false,
		patchConsole: false,
	});
	return {
		type: (key: string) => stdin.write(key),
		frame: () => last,
		unmount: () => instance.unmount(),
	};
}

/** What the keys changed: the server's settings and model, the clients, the list's sort and filter, the view. */
function state(source: DashboardSource, frame: string) {
	const {server, clients, connections} = source.snapshot;
	return {
		mode: server.mode,
		placement: server.placement,
		settings: server.settings,
		clients: clients.total,
		sort: connections.sort,
		filter: connections.filter,
		view: /-+ (Connections|Events|Processes|Help)/.exec(frame)?.[1] ?? frame,
	};
}

/** Keys of the local dashboard, each meant to change something both sides must agree on. */
const SCRIPT = [
	'4', // pool
	'c',
	'c',
	'w',
	'w',
	'W',
	'd',
	'+',
	'+',
	'-',
	'!', // crash a pool thread: refused by neither
	'R', // the in-process server restarts
	's',
	's',
	'/',
	'1',
	'2',
	'\r',
	'x',
	'j',
	't',
];

test('the same keys give the same settings and views locally and through serve + attach', async () => {
	const options = parseOptions({port: '0', rate: '20', poolSize: '3'});
	const local = new Controller(options, TIMING);
	const served = new Controller(options, TIMING);
	await Promise.all([local.start(), served.start()]);
	const control = new ControlServer(served, {version: 'test', token: null, log: () => {}});
	const endpoint = await control.listenTcp('127.0.0.1', 0);
	const remote = await RemoteSource.connect(
		{kind: 'tcp', host: '127.0.0.1', port: endpoint.kind === 'tcp' ? endpoint.port : 0},
		{version: 'test'},
	);
	const screens = [mount(local), mount(remote)];
	try {
		await sleep(300);
		for (const key of SCRIPT) {
			for (const screen of screens) screen.type(key);
			// Each action is carried out before the next key, on both sides.
			await sleep(key === '4' ? 1500 : 150);
		}
		await waitFor(
			() =>
				JSON.stringify(state(local, screens[0]!.frame())) ===
				JSON.stringify(state(remote, screens[1]!.frame())),
			() =>
				`local ${JSON.stringify(state(local, screens[0]!.frame()))}\nattach ${JSON.stringify(state(remote, screens[1]!.frame()))}`,
			8000,
		);
		const after = state(remote, screens[1]!.frame());
		// The script did something: a check that both sides stayed at the defaults would prove nothing.
		assert.equal(after.mode, 'pool');
		assert.deepEqual(
			[after.settings.workMs, after.settings.delayMs, after.settings.poolSize],
			[1, 1, 4],
		);
		assert.equal(after.sort, 'by');
		assert.equal(after.filter, '12');
		assert.equal(after.clients, 1);
		assert.equal(after.view, 'Processes');
		assert.equal(served.snapshot.server.settings.poolSize, 4, 'the served server itself changed');
	} finally {
		for (const screen of screens) screen.unmount();
		remote.close();
		await control.close();
		await Promise.all([local.stop(), served.stop()]);
	}
});

test('a refused action says why on the observer screen and never disconnects it', async () => {
	const served = new Controller(parseOptions({port: '0', mode: 'async'}), TIMING);
	await served.start();
	const control = new ControlServer(served, {version: 'test', token: null, log: () => {}});
	const endpoint = await control.listenTcp('127.0.0.1', 0);
	const remote = await RemoteSource.connect(
		{kind: 'tcp', host: '127.0.0.1', port: endpoint.kind === 'tcp' ? endpoint.port : 0},
		{version: 'test'},
	);
	const screen = mount(remote);
	try {
		// async has no worker to crash: refused by the server, with its reason.
		screen.type('!');
		await waitFor(
			() => /async has no worker thread or child process to crash/.test(screen.frame()),
			() => screen.frame(),
		);
		// Far more refusals than the 20 malformed lines that once cost an observer its connection,
		// some past the action rate: each is answered with its reason.
		const results = await Promise.all(
			Array.from({length: 40}, async () => remote.dispatch({type: 'crash-worker'})),
		);
		for (const result of results) {
			assert.equal(result.ok, false);
			assert.match(
				result.ok ? '' : result.why,
				/no worker thread or child process to crash|actions a second: dropped/,
			);
		}
		// An action this version does not know, as a newer observer might send it: answered, not fatal.
		const raw = await rawObserver(endpoint.kind === 'tcp' ? endpoint.port : 0);
		for (let id = 1; id <= 30; id++)
			raw.socket.write(`${JSON.stringify({type: 'action', id, action: {type: 'teleport'}})}\n`);
		await waitFor(
			() => raw.results().length === 30,
			() => `${raw.results().length} results`,
		);
		assert.match(raw.results()[0]!, /unknown action: this server carries out add-clients/);
		assert.match(raw.results()[29]!, /actions a second: dropped/);
		assert.equal(raw.socket.destroyed, false);
		raw.socket.destroy();
		await sleep(1100);
		await remote.dispatch({type: 'add-clients', count: 1});
		await waitFor(
			() => remote.snapshot.clients.total === 1,
			'the observer still drives the server',
		);
		assert.equal(control.observerCount, 1);
	} finally {
		screen.unmount();
		remote.close();
		await control.close();
		await served.stop();
	}
});
