/**
 * What one observer that floods its control connection costs everyone else: echo round trips (p50,
 * p99) of a probe client and serve's CPU, first with no observer, then with one that sends window
 * messages as fast as its socket takes them. The server and its control socket run here, as in
 * `serve`; the probe and the flooder are processes of their own.
 *
 *   npm run build && node dist/bench/observer-flood.js [seconds=5]
 */
import {fork} from 'node:child_process';
import {once} from 'node:events';
import {mkdtempSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {createHistogram} from 'node:perf_hooks';
import {Controller, DEFAULT_TIMING} from '../source/live/controller.js';
import {parseOptions} from '../source/options/options.js';
import {ControlServer} from '../source/remote/control-server.js';

const role = process.argv[2];

/** Echo round trips, one every 10 ms, until told to report. */
async function probe(port: number): Promise<void> {
	const socket = net.connect({host: '127.0.0.1', port});
	await once(socket, 'connect');
	socket.setNoDelay(true);
	let histogram = createHistogram();
	let sentAt = 0n;
	socket.on('data', () => histogram.record(process.hrtime.bigint() - sentAt || 1n));
	const timer = setInterval(() => {
		sentAt = process.hrtime.bigint();
		socket.write('ping\n');
	}, 10);
	process.on('message', () => {
		const ms = (q: number) => Number(histogram.percentile(q)) / 1e6;
		process.send!({p50: ms(50), p99: ms(99), samples: histogram.count});
		histogram = createHistogram();
	});
	process.on('disconnect', () => {
		clearInterval(timer);
		socket.destroy();
	});
}

/** Window messages as fast as the socket takes them; what comes back is read and dropped. */
async function flood(socketPath: string): Promise<void> {
	const socket = net.connect(socketPath);
	await once(socket, 'connect');
	socket.resume();
	socket.write('{"type":"hello","protocol":1,"version":"flood"}\n');
	const chunk = Array.from(
		{length: 500},
		(_, i) => `{"type":"window","window":{"offset":${i % 50},"limit":${1 + (i % 20)}}}\n`,
	).join('');
	const write = () => {
		while (socket.write(chunk));
	};
	socket.on('drain', write);
	write();
	process.on('disconnect', () => socket.destroy());
}

async function phase(
	probeChild: ReturnType<typeof fork>,
	seconds: number,
): Promise<{p50: number; p99: number; samples: number; cpu: number}> {
	probeChild.send('reset');
	await once(probeChild, 'message');
	const cpu = process.cpuUsage();
	await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
	const used = process.cpuUsage(cpu);
	probeChild.send('report');
	const [result] = (await once(probeChild, 'message')) as [
		{p50: number; p99: number; samples: number},
	];
	return {...result, cpu: (used.user + used.system) / 1e4 / seconds};
}

if (role === 'probe') await probe(Number(process.argv[3]));
else if (role === 'flood') await flood(process.argv[3]!);
else {
	const seconds = Number(process.argv[2] ?? 5);
	const controller = new Controller(
		parseOptions({port: '0', clients: '20', rate: '10'}),
		DEFAULT_TIMING,
	);
	await controller.start();
	const control = new ControlServer(controller, {version: 'bench', token: null, log: () => {}});
	const socketPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'ct-flood-')), 'serve.sock');
	await control.listenSocket(socketPath);
	const script = new URL(import.meta.url).pathname;
	const probeChild = fork(script, ['probe', String(controller.port)]);
	const quiet = await phase(probeChild, seconds);
	const flooder = fork(script, ['flood', socketPath]);
	const flooded = await phase(probeChild, seconds);
	const row = (name: string, r: typeof quiet) =>
		`${name.padEnd(22)} p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  (${r.samples} round trips)  serve CPU ${r.cpu.toFixed(0)}%`;
	console.log(row('no observer', quiet));
	console.log(row('one flooding observer', flooded));
	console.log(`p99 ratio flooded/quiet: ${(flooded.p99 / quiet.p99).toFixed(2)}`);
	flooder.kill();
	probeChild.kill();
	await control.close();
	await controller.stop();
	process.exit(0);
}
