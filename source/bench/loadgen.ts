/**
 * The bench's outside yardstick: bench/loadgen.c, an epoll load generator in C, compiled with `cc`
 * into a private temporary folder when the bench starts. A Node generator tops out below what the
 * servers can do (25–45k msgs/s here), so its ratios would measure the generator.
 */
import {execFile, spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {checkPrivateDirectory} from '../remote/private-folder.js';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import type {LatencySummary} from '../metrics/latency.js';
import type {ClientErrors} from '../clients/meter.js';

/** From dist/source/bench/: the package root holds bench/loadgen.c (shipped in the package). */
const SOURCE = fileURLToPath(new URL('../../../bench/loadgen.c', import.meta.url));

/**
 * Failed connects and connections over the whole run, and `messageTimeouts`: messages of the
 * measured window without their reply within the timeout (the clients command's name for them).
 */
export type LoadErrors = ClientErrors;

/** What one loadgen run measured (its JSON, as printed). */
export type LoadgenResult = {
	readonly connections: number;
	readonly processes: number;
	readonly schedule: 'closed-loop' | 'fixed-rate';
	/** Messages a second per connection at a fixed rate; null in the closed loop. */
	readonly ratePerSec: number | null;
	readonly messageTimeoutMs: number;
	readonly connected: number;
	readonly firstReplies: number;
	readonly errors: LoadErrors;
	readonly messages: number;
	readonly messagesPerSec: number;
	readonly bytesPerSec: number;
	/** The busiest load process's CPU over the measured window, in % of one core. */
	readonly cpuPercentMax: number;
	readonly cpuPercentTotal: number;
	/** Round trips of the window, with their non-empty buckets: [index, count] (metrics/latency.ts). */
	readonly rtt:
		(LatencySummary & {readonly buckets: readonly (readonly [number, number])[]}) | null;
	/** connect() to the handshake's completion, per connection. */
	readonly connect: LatencySummary | null;
	/** From the moment all connections send at once to each one's first whole reply. */
	readonly firstReply: LatencySummary | null;
};

export type LoadgenRun = {
	readonly host: string;
	readonly port: number;
	readonly connections: number;
	readonly processes: number;
	readonly size: number;
	readonly depth: number;
	readonly warmupS: number;
	readonly durationS: number;
	/** Seconds a connect, or a connection's first reply, may take before it counts as a timeout (default 10). */
	readonly timeoutS?: number;
	/** Messages a second per connection, each due at the rate and timed from then; null: closed loop. */
	readonly ratePerSec: number | null;
	/** A message without its reply this long counts in `errors.messageTimeouts`. */
	readonly messageTimeoutMs: number;
	/** Called when every connection is open (or failed) and all start sending. */
	readonly onGo?: () => void;
};

/** A compiled generator, removed with its folder by `dispose`. */
export type Loadgen = {readonly binary: string; dispose(): void};

/** Compiles bench/loadgen.c with `cc`; a sentence saying why not when it cannot. */
export async function buildLoadgen(): Promise<Loadgen | string> {
	// mkdtemp creates the folder exclusively, mode 0700; checked as every private folder of ours is
	// (owner, mode, not a symlink), since the binary compiled into it is run as this user.
	const dir = checkPrivateDirectory(
		mkdtempSync(path.join(os.tmpdir(), 'concurrency-top-loadgen-')),
	);
	const binary = path.join(dir, 'loadgen');
	const dispose = () => rmSync(dir, {recursive: true, force: true});
	const error = await new Promise<{code?: unknown; message: string} | null>((resolve) =>
		execFile('cc', ['-O2', '-o', binary, SOURCE, '-lm'], {timeout: 60_000}, (failure) =>
			resolve(failure),
		),
	);
	if (!error) return {binary, dispose};
	dispose();
	return error.code === 'ENOENT'
		? 'no C compiler (cc) on PATH'
		: `cc could not compile ${SOURCE}: ${error.message.split('\n')[0]}`;
}

/** Runs the generator once; resolves with its figures. */
export function runLoadgen(loadgen: Loadgen, run: LoadgenRun): Promise<LoadgenResult> {
	const args = [
		...['-h', run.host, '-p', String(run.port), '-c', String(run.connections)],
		...['-P', String(run.processes), '-s', String(run.size), '-D', String(run.depth)],
		...['-w', String(run.warmupS), '-d', String(run.durationS), '-T', String(run.timeoutS ?? 10)],
		...['-R', String(run.ratePerSec ?? 0), '-M', String(run.messageTimeoutMs)],
	];
	return new Promise((resolve, reject) => {
		const child = spawn(loadgen.binary, args, {stdio: ['ignore', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		child.stdout.setEncoding('utf8').on('data', (data: string) => (stdout += data));
		child.stderr.setEncoding('utf8').on('data', (data: string) => {
			stderr += data;
			if (run.onGo && stderr.includes('loadgen: go\n')) {
				run.onGo();
				stderr = stderr.replace('loadgen: go\n', '');
			}
		});
		child.on('error', reject);
		child.on('close', (code) => {
			if (code !== 0) {
				reject(
					new Error(`loadgen ended with status ${code}: ${stderr.trim().split('\n')[0] ?? ''}`),
				);
				return;
			}
			try {
				resolve(JSON.parse(stdout) as LoadgenResult);
			} catch {
				reject(new Error('loadgen printed no JSON'));
			}
		});
	});
}
