import si from 'systeminformation';
import type {HostFigures} from '../metrics/snapshot.js';

/** The whole machine's CPU load (since the previous call) and memory, from systeminformation. */
export async function collectHost(): Promise<HostFigures> {
	const [load, memory] = await Promise.all([si.currentLoad(), si.mem()]);
	return {
		cpuPercent: load.currentLoad,
		cores: load.cpus.length,
		memUsedBytes: memory.active,
		memTotalBytes: memory.total,
	};
}
