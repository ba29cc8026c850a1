/**
 * The tutorial's `handle_client` as a thread runs it: `recv` and `sendall` on the thread's own
 * socket, blocking, until the client closes. The thread, pool and hybrid models run it in a worker
 * thread; no byte of the client passes through the main thread or a message port, and the thread
 * sleeps in the kernel's `read` between messages, as a Python thread sleeps in `recv` (what `t` and
 * `watch` show). The main thread learns the figures from shared memory, which the worker writes and
 * the main thread reads on its own timer: a message costs no wake-up of anyone else.
 *
 * This file is bundled into the worker's entry: it imports nothing but Node's `fs`.
 */
import fs from 'node:fs';

/** Int32 slots of a thread's shared block. */
export const STATE = 0;
/** What the main thread asks of a serving loop, read between two messages (ASK_*). */
export const ASK = 1;
/** 1 once the thread is being ended: a sequential thread accepts no one more (its queue is reset). */
export const STOPPING = 2;
/** The server's port and the client's of the connection a sequential thread accepted itself. */
export const LOCAL_PORT = 3;
export const REMOTE_PORT = 4;
/** Float64 slots, after the Int32 ones (byte offset FLOAT_OFFSET). */
export const BYTES_IN = 0;
export const BYTES_OUT = 1;
export const MESSAGES_IN = 2;
export const MESSAGES_OUT = 3;
export const READS = 4;
/** Date.now() when the loop entered its current state. */
export const SINCE = 5;
/** Date.now() of the last byte read or written. */
export const ACTIVE_AT = 6;
/** --work-ms and --delay-ms, written by the main thread, read before each message. */
export const WORK_MS = 7;
export const DELAY_MS = 8;

const INT_SLOTS = 6;
const FLOAT_OFFSET = INT_SLOTS * 4;
const FLOAT_SLOTS = 9;
export const SHARED_BYTES = FLOAT_OFFSET + FLOAT_SLOTS * 8;

/** STATE: where the serving loop is. */
export const IDLE = 0;
export const READING = 1;
export const WRITING = 2;
export const WORKING = 3;

/** ASK: nothing; end this connection; throw, as a handler bug would. */
export const ASK_NOTHING = 0;
export const ASK_END = 1;
export const ASK_CRASH = 2;

/** The two views of one thread's shared block. */
export type SharedBlock = {readonly ints: Int32Array; readonly floats: Float64Array};

export function sharedBlock(buffer: SharedArrayBuffer): SharedBlock {
	return {
		ints: new Int32Array(buffer, 0, INT_SLOTS),
		floats: new Float64Array(buffer, FLOAT_OFFSET, FLOAT_SLOTS),
	};
}

/** Why a serving loop ended. */
export type LoopEnd = 'eof' | 'asked' | 'limit' | {readonly error: string};

const LOWER_A = 0x61;
const LOWER_Z = 0x7a;
const NEWLINE = 10;
/** What one `read` takes at most: as much as the kernel has, up to this. */
const READ_SIZE = 64 * 1024;

/**
 * Serves one connection: reads from `inFd`, replies on `outFd` (the same socket; -1 as `position`:
 * read on from where the stream is), until end of stream, an error, the main thread asking, or
 * `limit` reads. `upper` upper-cases ASCII as the tutorial's pool does. Per message it spins `WORK_MS` of CPU
 * and sleeps `DELAY_MS` (a blocking sleep, like `time.sleep` in a thread).
 */
export function serveBlocking(
	inFd: number,
	outFd: number,
	position: number,
	upper: boolean,
	block: SharedBlock,
	buffer: Buffer,
	readSize: number,
	limit: number,
): LoopEnd {
	const {ints, floats} = block;
	const sleeper = new Int32Array(new SharedArrayBuffer(4));
	for (let reads = 0; reads < limit; reads++) {
		const ask = Atomics.load(ints, ASK);
		if (ask === ASK_CRASH) throw new Error('crashed on request');
		if (ask === ASK_END) return 'asked';
		enter(block, READING);
		let length: number;
		try {
			length = fs.readSync(inFd, buffer, 0, readSize, position);
		} catch (error) {
			return {error: (error as NodeJS.ErrnoException).code ?? String(error)};
		}
		if (length === 0) return 'eof';
		const now = Date.now();
		floats[ACTIVE_AT] = now;
		floats[READS]! += 1;
		floats[BYTES_IN]! += length;
		let messages = 0;
		for (let i = 0; i < length; i++) {
			const byte = buffer[i]!;
			if (byte === NEWLINE) messages++;
			else if (upper && byte >= LOWER_A && byte <= LOWER_Z) buffer[i] = byte - 32;
		}
		floats[MESSAGES_IN]! += messages;
		const workMs = floats[WORK_MS]!;
		const delayMs = floats[DELAY_MS]!;
		if (messages > 0 && (workMs > 0 || delayMs > 0)) {
			enter(block, WORKING);
			if (workMs > 0) spin(workMs * messages);
			if (delayMs > 0) Atomics.wait(sleeper, 0, 0, delayMs * messages);
		}
		enter(block, WRITING);
		try {
			let written = 0;
			while (written < length) written += fs.writeSync(outFd, buffer, written, length - written);
		} catch (error) {
			return {error: (error as NodeJS.ErrnoException).code ?? String(error)};
		}
		floats[ACTIVE_AT] = Date.now();
		floats[BYTES_OUT]! += length;
		floats[MESSAGES_OUT]! += messages;
	}
	return 'limit';
}

function enter(block: SharedBlock, state: number): void {
	block.floats[SINCE] = Date.now();
	Atomics.store(block.ints, STATE, state);
}

function spin(ms: number): void {
	const end = performance.now() + ms;
	while (performance.now() < end) {
		// Deliberately busy: the CPU-bound handler being measured.
	}
}

/**
 * Runs the serving loop until V8 has optimised it (and fs.readSync and writeSync under it): a fresh
 * isolate runs its first few thousand messages interpreted and in baseline code, several times
 * slower, and each of 100 threads sees only a hundredth of the messages. It reads the first 64 bytes
 * of `sample` (the thread's own script: text with lines and lower-case letters, so every branch a
 * client's bytes take is taken, from the page cache) again and again and writes them to /dev/null.
 * Paid once when the thread starts, before any client is given to it. Returns the milliseconds it
 * took, or null where it could not (no /dev/null).
 */
export function warmUp(
	upper: boolean,
	buffer: Buffer,
	sample: string,
	rounds = WARM_UP_ROUNDS,
): number | null {
	let source: number | undefined;
	let sink: number | undefined;
	const start = performance.now();
	try {
		source = fs.openSync(sample, 'r');
		sink = fs.openSync('/dev/null', 'w');
		const block = sharedBlock(new SharedArrayBuffer(SHARED_BYTES));
		// In several calls: the first optimises the loop where it runs (on-stack replacement), the
		// later ones the function itself, which is what a client's call will run.
		for (let done = 0; done < rounds; done += WARM_UP_CALL)
			serveBlocking(source, sink, 0, upper, block, buffer, 64, WARM_UP_CALL);
		return performance.now() - start;
	} catch {
		return null;
	} finally {
		if (source !== undefined) fs.closeSync(source);
		if (sink !== undefined) fs.closeSync(sink);
	}
}

/**
 * Enough rounds for TurboFan: with 1,500 in three calls, `--trace-opt` shows serveBlocking optimised
 * (on the stack and whole, fs.readSync and writeSync inlined) before the first client, and nothing
 * compiled or thrown away after it (4,000 in one call: 60 ms more of a core per thread, and the
 * whole function was compiled only at the first client).
 */
export const WARM_UP_ROUNDS = 1500;
const WARM_UP_CALL = 500;

/**
 * The most reads one call of serveBlocking serves before it returns 'limit' (and is called again): a
 * small integer, as the warm-up's limits are. With Infinity (a heap number, not a small integer)
 * V8 threw away the warmed-up code at each thread's first client (`--trace-deopt`: "not a Smi")
 * and compiled it again, 100 threads at once.
 */
export const READS_PER_CALL = 2 ** 30 - 1;

export {READ_SIZE};
