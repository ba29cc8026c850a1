import {readFileSync} from 'node:fs';
import os from 'node:os';
import {inert} from '../shared/format.js';
import type {ServerKind} from './processes.js';

export type Environment = {
	readonly node: string;
	/** The CPU, the OS and kernel, and whether it is a virtual machine; null when it cannot be told. */
	readonly machine: string | null;
	readonly cores: number;
	/** Soft limit on open files, per process. */
	readonly fdLimit: number | null;
	readonly memAvailableBytes: number | null;
	readonly notes: readonly string[];
};

/** File descriptors a Node process uses besides its connections (stdio, epoll, IPC, libuv, V8). */
export const FD_HEADROOM = 100;

/**
 * Rough memory per client of the models that start something per client, from design.md's
 * measurements; used only to skip rows that would exhaust the machine. Keyed by name, so the models
 * merged later are covered without a change here.
 */
const PER_CLIENT_BYTES: Readonly<Record<string, number>> = {
	thread: 10 * 2 ** 20,
	process: 45 * 2 ** 20,
};

function readLimit(): number | null {
	try {
		const limits = readFileSync('/proc/self/limits', 'utf8');
		const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
		if (!match) return null;
		return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
	} catch {
		return null;
	}
}

function readMemAvailable(): number | null {
	try {
		const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
		return match ? Number(match[1]) * 1024 : null;
	} catch {
		return null;
	}
}

/**
 * What the figures were measured on, as a report of hyperfine or autocannon says it, from
 * systeminformation (which the dashboard loads only where there is no /proc): `AMD EPYC, Debian GNU/Linux
 * 12, Linux 6.1.0, virtual (KVM)`. The CPU's clock is left out when the kernel does not give it
 * (0 in most virtual machines). What the machine reports is shown inert.
 */
export async function describeMachine(): Promise<string | null> {
	try {
		const {default: si} = await import('systeminformation');
		const [cpu, system, osInfo] = await Promise.all([si.cpu(), si.system(), si.osInfo()]);
		const parts = [
			[cpu.manufacturer, cpu.brand].filter(Boolean).join(' ') +
				(cpu.speed > 0 ? ` at ${cpu.speed} GHz` : ''),
			[osInfo.distro, osInfo.release].filter(Boolean).join(' '),
			osInfo.kernel ? `${osInfo.platform === 'linux' ? 'Linux ' : ''}${osInfo.kernel}` : '',
			system.virtual ? `virtual${system.virtualHost ? ` (${system.virtualHost})` : ''}` : '',
		];
		const text = inert(parts.filter((part) => part.trim() !== '').join(', '));
		return text === '' ? null : text;
	} catch {
		return null;
	}
}

export async function checkEnvironment(): Promise<Environment> {
	const fdLimit = readLimit();
	return {
		node: process.version,
		machine: await describeMachine(),
		cores: os.availableParallelism(),
		fdLimit,
		memAvailableBytes: readMemAvailable(),
		notes: [
			'each row runs its server in a fresh process of its own (not in the bench process): its /proc ' +
				'figures are its own, no row inherits the heap of the last, and the fd limit applies to it alone',
			'both ends of a loopback connection use an fd, but in different processes: the server holds one ' +
				'per client, the load workers the other, split over them',
			fdLimit === null
				? 'fd limit unknown (no /proc/self/limits): rows are not checked against it'
				: `fd limit ${fdLimit} per process: a row may have at most ${fdLimit - FD_HEADROOM} clients`,
		],
	};
}

/** Why a row cannot run here, or null if it can. */
export function skipReason(
	env: Environment,
	server: ServerKind,
	clients: number,
	workers: number,
): string | null {
	if (env.fdLimit !== null) {
		if (clients + FD_HEADROOM > env.fdLimit)
			return `${clients} clients need ${clients + FD_HEADROOM} fds in the server process; the limit is ${env.fdLimit}`;
		const share = Math.ceil(clients / workers);
		if (share + FD_HEADROOM > env.fdLimit)
			return `${share} clients per load worker exceed the fd limit ${env.fdLimit}: use more --workers`;
	}
	const perClient = PER_CLIENT_BYTES[server];
	if (perClient !== undefined && env.memAvailableBytes !== null) {
		const need = perClient * clients;
		if (need > env.memAvailableBytes / 2)
			return `${server} at ${clients} clients would need about ${Math.round(need / 2 ** 20)} MB, over half of the ${Math.round(env.memAvailableBytes / 2 ** 20)} MB available`;
	}
	return null;
}
