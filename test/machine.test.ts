import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';
import {cpuTimesIn, MachineCollector, memoryIn} from '../source/collectors/machine.js';

const STAT = `cpu  2415628 10 586815 1202399 2312 7 69979 1305 40 0
cpu0 1202629 5 292685 608115 400 3 34561 665 20 0
cpu1 1212999 5 294130 594284 1911 4 35418 639 20 0
intr 1 2 3
ctxt 99
`;

test('/proc/stat: idle and I/O wait are idle, the rest busy (guest is already in user), cores counted', () => {
	const busy = 2415628 + 10 + 586815 + 7 + 69979 + 1305;
	assert.deepEqual(cpuTimesIn(STAT), {busy, total: busy + 1202399 + 2312, cores: 2});
	assert.equal(cpuTimesIn('intr 1 2 3\n'), null);
	assert.equal(cpuTimesIn('cpu  1 2\n'), null);
});

test('/proc/meminfo: in use is what is not available', () => {
	const meminfo = 'MemTotal:       16000 kB\nMemFree:         1000 kB\nMemAvailable:    6000 kB\n';
	assert.deepEqual(memoryIn(meminfo), {usedBytes: 10_000 * 1024, totalBytes: 16_000 * 1024});
	assert.equal(memoryIn('MemTotal:       16000 kB\n'), null, 'no MemAvailable: no figure');
});

/** busy and total ticks of the first line of /proc/stat, parsed here on its own (not by the code under test). */
function ticks(): [number, number] {
	const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9);
	const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number) as number[];
	const busy = user! + nice! + system! + irq! + softirq! + steal!;
	return [busy, busy + idle! + iowait!];
}

test('the machine figures agree with /proc read at the same moments', () => {
	const collector = new MachineCollector();
	const [busy0, total0] = ticks();
	const until = Date.now() + 300;
	while (Date.now() < until) {
		// Busy: at least one core's worth of ticks pass.
	}
	const [busy1, total1] = ticks();
	const host = collector.read();
	assert.ok(host !== null, 'a reading after 300 ms');
	const expected = (100 * (busy1 - busy0)) / (total1 - total0);
	// The two spans differ by the microseconds between the reads: a few ticks at most.
	assert.ok(
		Math.abs(host.cpuPercent - expected) < 10,
		`${host.cpuPercent.toFixed(1)}% against ${expected.toFixed(1)}%`,
	);
	const total = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
	assert.equal(host.memTotalBytes, total * 1024);
	assert.ok(host.memUsedBytes > 0 && host.memUsedBytes < host.memTotalBytes);
});
