import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {existsSync} from 'node:fs';

/**
 * The system's `ss` (iproute2), from the system's own folders, not the first on PATH: watch is often
 * run as root, to watch another user's server, and must not run whatever a PATH of this run puts
 * first.
 */
export const SS = ['/usr/bin/ss', '/bin/ss', '/usr/sbin/ss', '/sbin/ss'].find((file) =>
	existsSync(file),
);

/** Why `ss` gave no answer: `code` ENOENT when there is none, else its first line of stderr. */
export class SsFailed extends Error {
	override readonly name = 'SsFailed';
	constructor(
		message: string,
		readonly code?: string,
	) {
		super(message);
	}
}

export type SsOptions = {readonly timeoutMs?: number; readonly maxBuffer?: number};

/**
 * The runner: one small shell, started while this process is small, that runs each `ss` for us.
 *
 * Why not execFile: every `ss` forked from this process, and this process holds the thread and
 * pool models' worker threads (a hundred isolates, a gigabyte). fork() copies its page tables and
 * write-protects every page; each thread's next write to each page then faults and flushes the TLB
 * of every core (perf: 31% of the pool of 100's CPU in TLB shootdowns, with an `ss` a second). A
 * fork of a shell of a few hundred kilobytes costs nothing of the kind.
 *
 * Protocol: a request is the argument count, then each argument on a line of its own; the answer is
 * ss's stdout, a NUL byte and its exit status on a line, and on stderr its stderr and a NUL byte.
 * The shell exits when its stdin closes: when this process ends, however it ends.
 */
const SCRIPT = `ss=$1
while IFS= read -r count; do
	set --
	while [ "$count" -gt 0 ]; do
		IFS= read -r arg || exit 0
		set -- "$@" "$arg"
		count=$((count - 1))
	done
	"$ss" "$@"
	status=$?
	printf '\\000%s\\n' "$status"
	printf '\\000' >&2
done`;

/** The runner's name (its $0): what tells it from any other shell in /proc/PID/cmdline. */
export const SS_RUNNER = 'concurrency-top-ss';

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_BUFFER = 16 * 1024 * 1024;
/** What is kept of ss's stderr: its first line is all that is shown. */
const MAX_STDERR = 4096;

type Request = {
	readonly args: readonly string[];
	readonly timeoutMs: number;
	readonly maxBuffer: number;
	readonly resolve: (stdout: string) => void;
	readonly reject: (error: SsFailed) => void;
};

type Answer = {
	readonly request: Request;
	readonly chunks: Buffer[];
	size: number;
	overflow: boolean;
	/** Set once the NUL is seen: the status line, as it arrives. */
	status: string | null;
	stderr: string;
	stderrDone: boolean;
	timer: NodeJS.Timeout;
};

let runner: ChildProcessWithoutNullStreams | undefined;
const queue: Request[] = [];
let current: Answer | undefined;

/**
 * Starts the runner now, while this process is small: call it before worker threads start (the
 * server does). Later calls do nothing while it runs; without `ss` it does nothing.
 */
export function startSs(): void {
	if (runner || SS === undefined) return;
	const child = spawn('/bin/sh', ['-c', SCRIPT, SS_RUNNER, SS], {
		env: {...process.env, LC_ALL: 'C'},
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	runner = child;
	// Never what keeps this process alive.
	child.unref();
	for (const stream of [child.stdin, child.stdout, child.stderr])
		(stream as unknown as {unref?: () => void}).unref?.();
	child.stdin.on('error', () => {});
	child.stdout.on('data', (chunk: Buffer) => onStdout(chunk));
	child.stderr.on('data', (chunk: Buffer) => onStderr(chunk));
	child.once('error', () => lost(child, 'ss could not be started'));
	child.once('exit', () => lost(child, 'ss ended'));
}

/** The runner's pid while it runs: a tool of ours, never counted as part of the server. */
export function ssRunnerPid(): number | undefined {
	return runner?.pid;
}

/** Runs `ss args…` and resolves with its stdout; rejects with one line on failure. */
export function runSs(args: readonly string[], options: SsOptions = {}): Promise<string> {
	return new Promise((resolve, reject) => {
		if (SS === undefined) {
			reject(new SsFailed('ss (iproute2) is not installed', 'ENOENT'));
			return;
		}
		if (args.some((arg) => /[\n\0]/.test(arg))) {
			reject(new SsFailed('an argument of ss holds a newline or NUL'));
			return;
		}
		queue.push({
			args,
			timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
			maxBuffer: options.maxBuffer ?? DEFAULT_MAX_BUFFER,
			resolve,
			reject,
		});
		next();
	});
}

function next(): void {
	if (current) return;
	const request = queue.shift();
	if (!request) return;
	startSs();
	const child = runner!;
	current = {
		request,
		chunks: [],
		size: 0,
		overflow: false,
		status: null,
		stderr: '',
		stderrDone: false,
		// Kept referenced: a request under way keeps this process alive until it is answered.
		timer: setTimeout(() => {
			// A hung ss: the shell goes with it, and the next request starts a new one.
			child.kill('SIGKILL');
			lost(child, `ss gave no answer within ${request.timeoutMs / 1000} s`);
		}, request.timeoutMs),
	};
	child.stdin.write(`${request.args.length}\n${request.args.map((arg) => `${arg}\n`).join('')}`);
}

function onStdout(chunk: Buffer): void {
	const answer = current;
	if (!answer) return;
	if (answer.status === null) {
		const end = chunk.indexOf(0);
		const body = end === -1 ? chunk : chunk.subarray(0, end);
		if (answer.size + body.length > answer.request.maxBuffer) answer.overflow = true;
		else answer.chunks.push(Buffer.from(body));
		answer.size += body.length;
		if (end === -1) return;
		answer.status = '';
		chunk = chunk.subarray(end + 1);
	}
	answer.status += chunk.toString('latin1');
	settle();
}

function onStderr(chunk: Buffer): void {
	const answer = current;
	if (!answer) return;
	const end = chunk.indexOf(0);
	if (answer.stderr.length < MAX_STDERR)
		answer.stderr += (end === -1 ? chunk : chunk.subarray(0, end))
			.toString('utf8')
			.slice(0, MAX_STDERR);
	if (end !== -1) answer.stderrDone = true;
	settle();
}

function settle(): void {
	const answer = current;
	if (!answer?.stderrDone || !answer.status?.includes('\n')) return;
	current = undefined;
	clearTimeout(answer.timer);
	const status = Number(answer.status.trim());
	const {request} = answer;
	if (answer.overflow)
		request.reject(new SsFailed(`ss wrote more than ${request.maxBuffer} bytes`, 'ENOBUFS'));
	else if (status !== 0)
		request.reject(
			new SsFailed(answer.stderr.trim().split('\n')[0] || `ss exited with status ${status}`),
		);
	else request.resolve(Buffer.concat(answer.chunks).toString('utf8'));
	next();
}

/** The runner is gone (killed, or never started): what it was asked fails; the next starts anew. */
function lost(child: ChildProcessWithoutNullStreams, why: string): void {
	if (runner !== child) return;
	runner = undefined;
	const answer = current;
	current = undefined;
	if (answer) {
		clearTimeout(answer.timer);
		answer.request.reject(new SsFailed(why));
	}
	next();
}
