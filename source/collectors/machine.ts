import {readFileSync} from 'node:fs';
import type {HostFigures} from './figures.js';

/** /proc/stat counts in clock ticks of 1/100 s (USER_HZ, fixed by the kernel ABI). */
const TICKS_PER_SECOND = 100;

/** The machine's CPU time so far, all cores together, in clock ticks. */
type CpuTimes = {readonly busy: number; readonly total: number; readonly cores: number};

/**
 * The first line of /proc/stat, counted as top and htop count it: idle and I/O wait are idle time,
 * everything else (user, nice, system, irq, softirq, steal) busy; guest time is already in user.
 * Null where /proc/stat cannot be read.
 */
export function cpuTimesIn(stat: string): CpuTimes | null {
	const first = /^cpu\s+(.*)$/m.exec(stat);
	if (!first) return null;
	const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = first[1]!
		.trim()
		.split(/\s+/)
		.map(Number);
	if (user === undefined || nice === undefined || system === undefined || idle === undefined)
		return null;
	const busy = user + nice + system + irq + softirq + steal;
	return {busy, total: busy + idle + iowait, cores: stat.match(/^cpu\d+\s/gm)?.length ?? 0};
}

/** MemTotal and MemAvailable of /proc/meminfo, in bytes; in use is what is not available. */
export function memoryIn(meminfo: string): {usedBytes: number; totalBytes: number} | null {
	const kB = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1]);
	const total = kB('MemTotal');
	const available = kB('MemAvailable');
	if (!Number.isFinite(total) || !Number.isFinite(available)) return null;
	return {usedBytes: (total - available) * 1024, totalBytes: total * 1024};
}

function readCpuTimes(): CpuTimes | null {
	try {
		return cpuTimesIn(readFileSync('/proc/stat', 'utf8'));
	} catch {
		return null;
	}
}

/**
 * The whole machine's CPU load and memory in use, read from the kernel (/proc/stat, /proc/meminfo:
 * files it makes in memory, read in microseconds, with no child process and no library). The load is
 * the share of all cores busy since the previous reading, the first since the collector was made.
 */
export class MachineCollector {
	#previous = readCpuTimes();

	/** The figures now; null when /proc cannot say, or no clock tick has passed since the last reading. */
	read(): HostFigures | null {
		const now = readCpuTimes();
		const before = this.#previous;
		if (now === null || before === null || now.total <= before.total) return null;
		this.#previous = now;
		let memory: ReturnType<typeof memoryIn> = null;
		try {
			memory = memoryIn(readFileSync('/proc/meminfo', 'utf8'));
		} catch {
			// Without /proc/meminfo there is nothing true to show for the machine.
		}
		if (memory === null) return null;
		return {
			cpuPercent: (100 * (now.busy - before.busy)) / (now.total - before.total),
			cpuBusySeconds: now.busy / TICKS_PER_SECOND,
			cpuIdleSeconds: (now.total - now.busy) / TICKS_PER_SECOND,
			cores: now.cores,
			memUsedBytes: memory.usedBytes,
			memTotalBytes: memory.totalBytes,
		};
	}
}
