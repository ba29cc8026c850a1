import {readFileSync} from 'node:fs';
import type {HostFigures, ProcessFigures, SystemCollector} from './figures.js';
import {MachineCollector} from './machine.js';
import {ProcCollector, type ProcSource} from './proc.js';
import {SystemInformationCollector} from './systeminformation.js';

export type {SystemCollector} from './figures.js';

/** Set to `systeminformation`, it forces that collector where /proc is there too (for tests). */
export const COLLECTOR_VARIABLE = 'CONCURRENCY_TOP_COLLECTOR';

/** The /proc readers: files the kernel makes in memory, read in microseconds. */
class ProcSystem implements SystemCollector {
	readonly from = 'proc';
	readonly #proc: ProcCollector;
	/** Made with the collector: the machine's first CPU share covers the time since. */
	readonly #machine = new MachineCollector();

	constructor(source: ProcSource) {
		this.#proc = new ProcCollector(source);
	}

	processes(now?: number): Promise<ProcessFigures[]> {
		return this.#proc.processes(now);
	}

	async host(): Promise<HostFigures | null> {
		return this.#machine.read();
	}
}

function hasProc(): boolean {
	try {
		readFileSync('/proc/self/stat');
		return true;
	} catch {
		return false;
	}
}

/**
 * The one place the collector is chosen, at start, by what the platform has: /proc where it can be
 * read, systeminformation elsewhere. CONCURRENCY_TOP_COLLECTOR=systeminformation forces the latter
 * (the tests compare the two on Linux).
 */
export function systemCollector(source: ProcSource, env = process.env): SystemCollector {
	return env[COLLECTOR_VARIABLE] !== 'systeminformation' && hasProc()
		? new ProcSystem(source)
		: new SystemInformationCollector(source);
}
