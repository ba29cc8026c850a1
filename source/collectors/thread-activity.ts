import {readFileSync, readlinkSync} from 'node:fs';

// What each thread of a process is blocked in, from the kernel: /proc/<pid>/task/<tid>/syscall
// names the system call and its arguments (the first is the fd for the calls that take one), and
// /proc/<pid>/fd/<fd> says which socket that fd is. Reading `syscall` needs the right to ptrace the
// process (its user, or root, or CAP_SYS_PTRACE, and Yama's ptrace_scope); without it, `wchan` (the
// kernel function the thread sleeps in) and the state letter of `stat` say less, and say so.

/** What a thread waits in, in the words the panels use. */
export const ACTIVITY_KINDS = [
	'accept',
	'recv',
	'send',
	'poll',
	'lock',
	'sleep',
	'running',
	'other',
	'unknown',
] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export type ThreadActivity = {
	readonly kind: ActivityKind;
	/** The system call ('recvfrom'), or the kernel function wchan names; null when neither is known. */
	readonly call: string | null;
	/** The fd the call is on (its first argument), for the calls that take one; else null. */
	readonly fd: number | null;
	/** The socket inode that fd is, when it is a socket; else null. */
	readonly inode: number | null;
	/** Where this came from: `syscall`, else `wchan`, else only the state letter of `stat`. */
	readonly from: 'syscall' | 'wchan' | 'stat';
};

type Call = {readonly name: string; readonly kind: ActivityKind; readonly fd: boolean};

const call = (name: string, kind: ActivityKind, fd = false): Call => ({name, kind, fd});

/** x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
const X86_64: ReadonlyMap<number, Call> = new Map([
	[0, call('read', 'recv', true)],
	[1, call('write', 'send', true)],
	[7, call('poll', 'poll')],
	[19, call('readv', 'recv', true)],
	[20, call('writev', 'send', true)],
	[23, call('select', 'poll')],
	[35, call('nanosleep', 'sleep')],
	[40, call('sendfile', 'send', true)],
	[42, call('connect', 'other', true)],
	[43, call('accept', 'accept', true)],
	[44, call('sendto', 'send', true)],
	[45, call('recvfrom', 'recv', true)],
	[46, call('sendmsg', 'send', true)],
	[47, call('recvmsg', 'recv', true)],
	[61, call('wait4', 'other')],
	[130, call('rt_sigsuspend', 'other')],
	[202, call('futex', 'lock')],
	[230, call('clock_nanosleep', 'sleep')],
	[232, call('epoll_wait', 'poll', true)],
	[247, call('waitid', 'other')],
	[270, call('pselect6', 'poll')],
	[271, call('ppoll', 'poll')],
	[281, call('epoll_pwait', 'poll', true)],
	[288, call('accept4', 'accept', true)],
	[299, call('recvmmsg', 'recv', true)],
	[307, call('sendmmsg', 'send', true)],
	[441, call('epoll_pwait2', 'poll', true)],
]);

/** arm64 (and every architecture of the generic table, include/uapi/asm-generic/unistd.h). */
const GENERIC: ReadonlyMap<number, Call> = new Map([
	[22, call('epoll_pwait', 'poll', true)],
	[63, call('read', 'recv', true)],
	[64, call('write', 'send', true)],
	[65, call('readv', 'recv', true)],
	[66, call('writev', 'send', true)],
	[71, call('sendfile', 'send', true)],
	[72, call('pselect6', 'poll')],
	[73, call('ppoll', 'poll')],
	[98, call('futex', 'lock')],
	[101, call('nanosleep', 'sleep')],
	[115, call('clock_nanosleep', 'sleep')],
	[133, call('rt_sigsuspend', 'other')],
	[202, call('accept', 'accept', true)],
	[203, call('connect', 'other', true)],
	[206, call('sendto', 'send', true)],
	[207, call('recvfrom', 'recv', true)],
	[211, call('sendmsg', 'send', true)],
	[212, call('recvmsg', 'recv', true)],
	[242, call('accept4', 'accept', true)],
	[260, call('wait4', 'other')],
	[441, call('epoll_pwait2', 'poll', true)],
]);

/** The table of this machine's architecture; empty (every call 'unknown') where we keep none. */
export function syscallTable(arch: string = process.arch): ReadonlyMap<number, Call> {
	if (arch === 'x64') return X86_64;
	if (arch === 'arm64') return GENERIC;
	return new Map();
}

/** Kernel functions a thread sleeps in (wchan), when `syscall` may not be read. */
const WCHAN: ReadonlyMap<string, ActivityKind> = new Map([
	['inet_csk_accept', 'accept'],
	['inet_csk_wait_for_connect', 'accept'],
	['sk_wait_data', 'recv'],
	['wait_woken', 'recv'],
	['unix_stream_read_generic', 'recv'],
	['sk_stream_wait_memory', 'send'],
	['ep_poll', 'poll'],
	['do_epoll_wait', 'poll'],
	['do_select', 'poll'],
	['core_sys_select', 'poll'],
	['do_sys_poll', 'poll'],
	['futex_wait_queue', 'lock'],
	['futex_wait_queue_me', 'lock'],
	['futex_wait', 'lock'],
	['hrtimer_nanosleep', 'sleep'],
	['do_nanosleep', 'sleep'],
]);

/** Why `syscall` could not be read, for one line; null while it could. */
export type ActivityReading = {
	readonly activity: ThreadActivity;
	/** errno code when `syscall` was refused (EACCES, EPERM); null when it was read. */
	readonly refused: string | null;
};

/**
 * Parses one `/proc/<pid>/task/<tid>/syscall`: `running`, `-1 sp pc` (blocked outside a system
 * call), or the call's number, its six arguments, sp and pc, in hex. Exported for tests.
 */
export function parseSyscall(
	text: string,
	table: ReadonlyMap<number, Call> = syscallTable(),
): {kind: ActivityKind; call: string | null; fd: number | null} {
	const fields = text.trim().split(' ');
	if (fields[0] === 'running') return {kind: 'running', call: null, fd: null};
	const number = Number(fields[0]);
	if (!Number.isInteger(number) || number < 0) return {kind: 'other', call: null, fd: null};
	const known = table.get(number);
	if (!known)
		return {kind: table.size === 0 ? 'unknown' : 'other', call: `syscall ${number}`, fd: null};
	const fd = known.fd ? Number.parseInt(fields[1] ?? '', 16) : Number.NaN;
	return {kind: known.kind, call: known.name, fd: Number.isInteger(fd) && fd >= 0 ? fd : null};
}

/** The socket inode of `fd` in process `pid`, or null when it is not a socket (or gone). */
function socketInode(pid: number, fd: number): number | null {
	try {
		const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
		return target.startsWith('socket:[') ? Number(target.slice(8, -1)) : null;
	} catch {
		return null;
	}
}

/** What thread `tid` of `pid` is blocked in; `state` is its proc(5) letter, the last fallback. */
export function readActivity(pid: number, tid: number, state: string): ActivityReading {
	const task = `/proc/${pid}/task/${tid}`;
	let refused: string | null = null;
	try {
		const parsed = parseSyscall(readFileSync(`${task}/syscall`, 'utf8'));
		// A read or write on something that is not a socket (a pipe, a file) is not network I/O.
		const inode = parsed.fd === null ? null : socketInode(pid, parsed.fd);
		const kind =
			inode === null && (parsed.kind === 'recv' || parsed.kind === 'send') ? 'other' : parsed.kind;
		return {activity: {...parsed, kind, inode, from: 'syscall'}, refused: null};
	} catch (error: unknown) {
		const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
		if (code === 'ENOENT' || code === 'ESRCH') {
			return {
				activity: {kind: 'unknown', call: null, fd: null, inode: null, from: 'stat'},
				refused: null,
			};
		}
		refused = code;
	}
	if (state === 'R') {
		return {activity: {kind: 'running', call: null, fd: null, inode: null, from: 'stat'}, refused};
	}
	let wchan = '';
	try {
		wchan = readFileSync(`${task}/wchan`, 'utf8').trim();
	} catch {
		// Unreadable too: only the state letter is left.
	}
	if (wchan !== '' && wchan !== '0') {
		return {
			activity: {
				kind: WCHAN.get(wchan) ?? 'other',
				call: wchan,
				fd: null,
				inode: null,
				from: 'wchan',
			},
			refused,
		};
	}
	return {activity: {kind: 'unknown', call: null, fd: null, inode: null, from: 'stat'}, refused};
}

/** Order and words of the Concurrency panel's sum. */
const PHRASES: readonly [ActivityKind, string, string][] = [
	['recv', 'in recv', 'recv'],
	['send', 'in send', 'send'],
	['accept', 'in accept', 'accept'],
	['poll', 'in poll', 'poll'],
	['lock', 'on a lock', 'lock'],
	['sleep', 'asleep', 'sleep'],
	['running', 'running', 'run'],
	['other', 'elsewhere', 'other'],
	['unknown', 'unknown', '?'],
];

/**
 * The threads summed by what they wait in, as long a form as fits `width`:
 * `3 in recv, 1 in accept, 11 on a lock`, then `3 recv 1 accept 11 lock`, then `3r 1a 11l`.
 */
export function activitySummary(
	counts: ReadonlyMap<ActivityKind, number>,
	width = Number.POSITIVE_INFINITY,
): string {
	const present = PHRASES.filter(([kind]) => (counts.get(kind) ?? 0) > 0);
	const count = ([kind]: (typeof PHRASES)[number]) => counts.get(kind) ?? 0;
	// Narrower: the most common kinds in words and the rest as a count (`9 read 3 lock +2`), before
	// letters that need the readme to be read (`9r 3l 1p 1o`).
	const byCount = [...present].sort((a, b) => count(b) - count(a));
	const shortest = byCount.slice(1).map((_, i) => {
		const kept = byCount.slice(0, byCount.length - 1 - i);
		const rest = byCount.slice(kept.length).reduce((sum, phrase) => sum + count(phrase), 0);
		return `${kept.map((phrase) => `${count(phrase)} ${phrase[2]}`).join(' ')} +${rest}`;
	});
	const forms = [
		present.map((phrase) => `${count(phrase)} ${phrase[1]}`).join(', '),
		present.map((phrase) => `${count(phrase)} ${phrase[2]}`).join(' '),
		...shortest,
		present.map((phrase) => `${count(phrase)}${phrase[2][0]}`).join(' '),
	];
	return forms.find((form) => form.length <= width) ?? forms.at(-1)!;
}
