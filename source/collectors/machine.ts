import type {HostFigures} from './figures.js';

/**
 * The whole machine's CPU load (since the previous call) and memory, from systeminformation. It is
 * imported here, on the first reading, not at start: it is a third of the program's code.
 */
export async function collectMachine(): Promise<HostFigures> {
	const {default: si} = await import('systeminformation');
	const [load, memory] = await Promise.all([si.currentLoad(), si.mem()]);
	return {
		cpuPercent: load.currentLoad,
		cores: load.cpus.length,
		memUsedBytes: memory.active,
		memTotalBytes: memory.total,
	};
}
