import {readFileSync} from 'node:fs';
import {sleep} from './net.js';

/** Clock ticks a second (getconf CLK_TCK on Linux x86-64). */
const TICK = 100;

/** User + system CPU time of one process, in seconds, from /proc. */
export function cpuSeconds(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return (Number(fields[11]) + Number(fields[12])) / TICK;
}

/** A process's share of one core over `ms`, in percent. */
export async function cpuShare(pid: number, ms: number): Promise<number> {
	const before = cpuSeconds(pid);
	const started = Date.now();
	await sleep(ms);
	return (100 * (cpuSeconds(pid) - before)) / ((Date.now() - started) / 1000);
}
