import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';
import {memoryIn} from '../source/collectors/machine.js';
import {ProcCollector, type ProcSource} from '../source/collectors/proc.js';
import {COLLECTOR_VARIABLE, systemCollector} from '../source/collectors/system.js';
import {SystemInformationCollector} from '../source/collectors/systeminformation.js';
import {Controller} from '../source/live/controller.js';
import {toJsonLine} from '../source/metrics/json-output.js';
import {parseOptions} from '../source/options/options.js';
import {waitFor} from './helpers/net.js';

const OWN: ProcSource = {serverPid: () => process.pid, port: () => null, exclude: () => new Set()};

/**
 * The tolerance the systeminformation collector is held to against /proc, for this process: its CPU
 * within 10 points of one core over the same span (readings taken one after the other), its RSS
 * within 10% (the two are read a few milliseconds apart, while this process allocates); the
 * machine's memory: the same total, and in use within 1% of it of /proc's readings before and after
 * (other processes allocate meanwhile).
 */
const CPU_POINTS = 10;
const RSS_SHARE = 0.1;
const MEMORY_SHARE = 0.01;

/** Spends `ms` of CPU time (not of the clock: on a busy machine this process gets a share of a core). */
function spendCpu(ms: number): void {
	const start = process.cpuUsage();
	while (process.cpuUsage(start).user < ms * 1000) {
		// CPU time for both collectors to measure.
	}
}

test('the collector is chosen by what the platform has: /proc here, systeminformation when forced', () => {
	assert.equal(systemCollector(OWN, {}).from, 'proc');
	assert.equal(
		systemCollector(OWN, {[COLLECTOR_VARIABLE]: 'systeminformation'}).from,
		'systeminformation',
	);
});

test('the systeminformation collector says nothing until it is loaded, then matches /proc within the tolerance', async (t) => {
	const si = new SystemInformationCollector(OWN);
	assert.equal(await si.processes(), null, 'no processes before systeminformation is loaded');
	assert.equal(await si.host(), null, 'no machine figures before systeminformation is loaded');
	const loadStart = performance.now();
	await si.load!();
	t.diagnostic(`systeminformation loaded in ${(performance.now() - loadStart).toFixed(0)} ms`);

	const proc = new ProcCollector(OWN);
	const readingStart = performance.now();
	const first = await si.processes();
	t.diagnostic(
		`its first reading of the processes: ${(performance.now() - readingStart).toFixed(0)} ms`,
	);
	const [before] = await proc.processes();
	assert.equal(first?.[0]?.pid, process.pid);
	assert.equal(first[0].cpuPercent, null, 'no CPU share on the first reading');
	spendCpu(600);
	// Each collector's second reading right after the other's: the same span of this process's CPU.
	const [bySi] = (await si.processes())!;
	const [byProc] = await proc.processes();
	assert.ok(bySi && byProc);
	t.diagnostic(
		`own process: CPU ${bySi.cpuPercent?.toFixed(1)}% / ${byProc.cpuPercent?.toFixed(1)}%, RSS ${bySi.rssBytes} / ${byProc.rssBytes} (systeminformation / /proc)`,
	);
	assert.equal(bySi.pid, byProc.pid);
	assert.equal(bySi.threads, null, 'systeminformation has no thread count: n/a, not a guess');
	assert.ok(byProc.threads! > 1, '/proc counts the threads');
	assert.ok(
		Math.abs(bySi.cpuPercent! - byProc.cpuPercent!) <= CPU_POINTS,
		`CPU ${bySi.cpuPercent}% against /proc's ${byProc.cpuPercent}%`,
	);
	assert.ok(
		byProc.cpuSeconds! - before!.cpuSeconds! >= 0.5,
		'the CPU spent between the readings shows in /proc',
	);
	assert.ok(
		Math.abs(bySi.rssBytes - byProc.rssBytes) <= RSS_SHARE * byProc.rssBytes,
		`RSS ${bySi.rssBytes} against /proc's ${byProc.rssBytes}`,
	);

	// The machine's memory moves with every process on it: /proc is read before and after.
	const meminfo = () => memoryIn(readFileSync('/proc/meminfo', 'utf8'))!;
	const kernelBefore = meminfo();
	const host = await si.host();
	const kernel = meminfo();
	assert.ok(host);
	const low = Math.min(kernelBefore.usedBytes, kernel.usedBytes);
	const high = Math.max(kernelBefore.usedBytes, kernel.usedBytes);
	t.diagnostic(
		`host memory in use: ${host.memUsedBytes} / ${low}-${high} of ${kernel.totalBytes}; CPU ${host.cpuPercent.toFixed(1)}% of ${host.cores} cores`,
	);
	assert.equal(host.memTotalBytes, kernel.totalBytes);
	const slack = MEMORY_SHARE * kernel.totalBytes;
	assert.ok(
		host.memUsedBytes >= low - slack && host.memUsedBytes <= high + slack,
		`in use ${host.memUsedBytes} against /proc's ${low}-${high}`,
	);
	assert.ok(host.cpuPercent >= 0 && host.cpuPercent <= 100);
});

test('forced to systeminformation, the dashboard loads it after the first snapshot and shows its figures, threads n/a', async () => {
	process.env[COLLECTOR_VARIABLE] = 'systeminformation';
	let controller: Controller;
	try {
		controller = new Controller(parseOptions({mode: 'async', port: '0', clients: '0'}), {
			tickMs: 200,
			rollMs: 1000,
			procMs: 1000,
			hostMs: 2000,
		});
	} finally {
		delete process.env[COLLECTOR_VARIABLE];
	}
	await controller.start();
	try {
		assert.equal(
			controller.snapshot.os,
			null,
			'the first snapshot is drawn before systeminformation is loaded: no process figures, not none',
		);
		const first = toJsonLine(controller.snapshot);
		assert.equal(first.processes.count, null, 'JSON: no count of processes before a reading');
		assert.equal(first.threads.os, null);
		const processes = await waitFor(() => {
			const processes = controller.snapshot.os?.processes ?? [];
			return processes.length > 0 && processes;
		}, 'the processes from systeminformation');
		assert.equal(processes[0]!.pid, process.pid);
		assert.equal(processes[0]!.threads, null);
		assert.ok(processes[0]!.rssBytes > 0);
		await waitFor(() => controller.snapshot.host, 'the machine from systeminformation');
		const line = toJsonLine(controller.snapshot);
		assert.equal(line.processes.count, processes.length);
		assert.equal(line.threads.os, null, 'JSON: OS threads unknown, not 0');
	} finally {
		await controller.stop();
	}
});
