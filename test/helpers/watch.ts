import {execFileSync, spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {readFileSync, readlinkSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {parseConnections} from '../../source/collectors/sockets.js';
import type {JsonLine} from '../../source/metrics/json-output.js';
import {assertConforms} from './json-schema.js';
import {waitFor} from './net.js';

// What the watch tests share: a running `watch --json`, and the kernel's own answers (ss, /proc)
// to hold its lines against.

export const CLI = fileURLToPath(new URL('../../cli.js', import.meta.url));
export const EXAMPLES = fileURLToPath(new URL('../../../examples/python/', import.meta.url));

export const has = (command: string, ...args: string[]) =>
	spawnSync(command, args, {stdio: 'ignore'}).status === 0;

/** Why the watch tests cannot run here, or null. */
export const missing =
	process.platform !== 'linux'
		? 'watch needs Linux'
		: !has('ss', '-V')
			? 'ss (iproute2) is not installed'
			: !has('python3', '--version')
				? 'python3 is not installed'
				: null;

/** A running `watch --json`: its latest line, and a way to wait for a line that satisfies a check. */
export class Watch {
	readonly child: ChildProcess;
	latest: JsonLine | undefined;
	readonly lines: JsonLine[] = [];
	stderr = '';

	constructor(args: readonly string[]) {
		this.child = spawn(process.execPath, [CLI, 'watch', '--json', ...args], {
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let buffer = '';
		this.child.stdout!.setEncoding('utf8').on('data', (text: string) => {
			buffer += text;
			const lines = buffer.split('\n');
			buffer = lines.pop()!;
			for (const line of lines) this.lines.push(JSON.parse(line) as JsonLine);
			if (lines.length > 0) this.latest = this.lines.at(-1);
		});
		this.child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
	}

	/** The first line that passes `check`, once it is what schemas/dashboard.schema.json says. */
	async until(
		check: (line: JsonLine) => boolean,
		what: string,
		timeoutMs = 30_000,
	): Promise<JsonLine> {
		const line = await waitFor(
			() => this.latest !== undefined && check(this.latest) && this.latest,
			() => `${what}; last line ${JSON.stringify(this.latest)}; stderr ${this.stderr}`,
			timeoutMs,
		);
		assertConforms('dashboard', line);
		return line;
	}

	async stop(): Promise<void> {
		if (this.child.exitCode !== null || this.child.signalCode !== null) return;
		const exited = new Promise((resolve) => this.child.once('exit', resolve));
		this.child.kill('SIGTERM');
		await exited;
	}
}

/**
 * Checks the latest line against /proc and ss, again on the next lines until both agree (a figure
 * read a moment apart may differ while clients come and go); throws the last disagreement.
 */
export async function agree(
	watch: Watch,
	check: (line: JsonLine) => void,
	what: string,
	timeoutMs = 8000,
): Promise<void> {
	let last: unknown;
	try {
		await waitFor(
			() => {
				try {
					check(watch.latest!);
					return true;
				} catch (error: unknown) {
					last = error;
					return false;
				}
			},
			what,
			timeoutMs,
		);
	} catch {
		throw last ?? new Error(`${what}: no line`);
	}
}

/** The server side of each established connection on `port`, from ss, with every pid that holds it. */
export function ssConnections(port: number) {
	const output = execFileSync('ss', ['-tinpHe', `sport = :${port}`], {encoding: 'utf8'});
	const holders = new Map<number, number[]>();
	for (const line of output.split('\n')) {
		const inode = /\bino:(\d+)/.exec(line)?.[1];
		if (inode === undefined) continue;
		holders.set(
			Number(inode),
			[...line.matchAll(/pid=(\d+)/g)].map((match) => Number(match[1])),
		);
	}
	return parseConnections(output)
		.filter((socket) => socket.state === 'ESTAB')
		.map((socket) => ({...socket, holders: holders.get(socket.inode) ?? []}));
}

/** The socket inode /proc/<pid>/fd/<fd> links to, or null. */
export function fdInode(pid: number, fd: number): number | null {
	try {
		const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
		return target.startsWith('socket:[') ? Number(target.slice(8, -1)) : null;
	} catch {
		return null;
	}
}

/** The system call number and first argument /proc/<pid>/task/<tid>/syscall shows, or 'running'. */
export function syscallOf(pid: number, tid: number): {number: number; fd: number} | 'running' {
	const text = readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'latin1').trim();
	if (text === 'running') return 'running';
	const [number, first] = text.split(' ');
	return {number: Number(number), fd: Number.parseInt(first ?? '', 16)};
}

/** proc(5) state letter of a process, or null when it is gone. */
export function stateOf(pid: number): string | null {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
	} catch {
		return null;
	}
}
