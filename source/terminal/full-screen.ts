import fs from 'node:fs';
import {Writable} from 'node:stream';
import type {ReactNode} from 'react';
import {render, type Instance} from '#ink';
import {isColorDisabled, isUnicodeSafe} from './capabilities.js';
import {diffGrids, parseFrame, type Grid} from './screen.js';
import {QUIT_SIGNALS} from '../shared/quit-signals.js';

const esc = '\u001B';
/** Alternate screen (saves the cursor and the main screen), cursor hidden, autowrap off. */
export const enterSequence = `${esc}[?1049h${esc}[?25l${esc}[?7l`;
/** The exact reverse of {@link enterSequence}, plus a style reset. */
export const leaveSequence = `${esc}[0m${esc}[?7h${esc}[?25h${esc}[?1049l`;

/** Why the screen closed, and the process exit status that goes with it. */
export type ExitReason =
	| {readonly kind: 'app'; readonly code: 0}
	| {readonly kind: 'signal'; readonly signal: NodeJS.Signals; readonly code: number}
	| {readonly kind: 'error'; readonly error: unknown; readonly code: 1};

export type FullScreenOptions = {
	/**
	 * Runs once on every way out, after the terminal is restored: stop the server and child processes
	 * here. Given at most `cleanupTimeoutMs`; the process exits after that even if it has not settled.
	 */
	readonly cleanup?: (reason: ExitReason) => Promise<void> | void;
	/** Deadline for `cleanup`. @default 1000 */
	readonly cleanupTimeoutMs?: number;
	/** Most frames per second written to the terminal; frames in between are coalesced. @default 10 */
	readonly maxFps?: number;
	/** Monochrome output (also when NO_COLOR is set). */
	readonly noColor?: boolean;
	/**
	 * Only ASCII is written: any other character becomes a stand-in of its width.
	 * @default !isUnicodeSafe(env): the locale is not UTF-8, or TERM is `linux` or `dumb`
	 */
	readonly ascii?: boolean;
	/** Exit the process when done (the CLI wants this; tests may not). @default true */
	readonly exitProcess?: boolean;
	/** Let Ink exit on Ctrl-C (status 0). @default true */
	readonly exitOnCtrlC?: boolean;
	readonly stdout?: NodeJS.WriteStream;
	readonly stdin?: NodeJS.ReadStream;
	readonly stderr?: NodeJS.WriteStream;
	readonly env?: Readonly<Record<string, string | undefined>>;
};

/**
 * Where Ink renders: a stream with the real terminal's size that receives one whole frame per write
 * (Ink's `debug` mode) and hands it on.
 */
class FrameSink extends Writable {
	isTTY = true;
	constructor(
		public columns: number,
		public rows: number,
		private readonly onFrame: (frame: string) => void,
	) {
		super({decodeStrings: false});
	}

	override _write(chunk: unknown, _encoding: BufferEncoding, callback: () => void): void {
		this.onFrame(typeof chunk === 'string' ? chunk : String(chunk));
		callback();
	}

	// Ink and components ask for these on a WriteStream.
	getWindowSize(): [number, number] {
		return [this.columns, this.rows];
	}

	hasColors(): boolean {
		return true;
	}

	getColorDepth(): number {
		return 8;
	}
}

/**
 * The terminal, written without ever blocking the event loop. Node writes to a TTY synchronously
 * (`tty.WriteStream` calls `setBlocking(true)` on its handle), so a terminal that reads slowly (a
 * congested SSH link) would stop everything in this process, an in-process server included, inside
 * `write`. Here the descriptor is made non-blocking (libuv gave this stream a file description of its
 * own when it reopened the tty, so nothing else shares the flag), and `write` takes what the terminal
 * accepts now and keeps the rest, which the caller retries. Streams that are not a TTY are written
 * as they are.
 */
class TerminalOutput {
	private readonly fd: number | undefined;
	private readonly handle: {setBlocking(blocking: boolean): number} | undefined;
	private held = false;
	/** The terminal failed (hung up): nothing more is written. */
	gone = false;

	constructor(private readonly stream: NodeJS.WriteStream) {
		const handle = (stream as unknown as {_handle?: {setBlocking?: (b: boolean) => number}})
			._handle;
		const fd = (stream as {fd?: unknown}).fd;
		if (stream.isTTY && typeof fd === 'number' && typeof handle?.setBlocking === 'function') {
			this.fd = fd;
			this.handle = handle as {setBlocking(blocking: boolean): number};
		}
	}

	/** Takes the terminal over: writes from now on never block. */
	hold(): void {
		this.held = this.handle?.setBlocking(false) === 0;
	}

	/** Back to what Node expects of stdout (blocking writes), for whatever prints after us. */
	release(): void {
		this.handle?.setBlocking(true);
		this.held = false;
	}

	/** Writes what the terminal takes now; returns the bytes written (all of them for a plain stream). */
	write(bytes: Buffer): number {
		if (this.gone) return bytes.length;
		if (this.fd === undefined) {
			try {
				this.stream.write(bytes);
			} catch {
				this.gone = true;
			}
			return bytes.length;
		}
		try {
			return fs.writeSync(this.fd, bytes);
		} catch (error: unknown) {
			if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
			// EIO or EBADF: the terminal is gone (SIGHUP); nothing left to draw on.
			this.gone = true;
			return bytes.length;
		}
	}

	/**
	 * Writes `text` whole, waiting for the terminal if it must: only for the few bytes that take over
	 * or restore the terminal, where leaving them out would leave it broken.
	 */
	writeAll(text: string): void {
		const held = this.held;
		if (held) this.handle?.setBlocking(true);
		this.write(Buffer.from(text));
		if (held) this.handle?.setBlocking(false);
	}
}

/** Cancels an escape sequence the terminal may be in the middle of (an abandoned partial frame). */
const cancel = '\u0018';

/** How long after a key press frames are drawn at once: the action's effects, published as they come. */
const ANSWER_MS = 300;

/** The writer of the screen being drawn: the app's key handler reaches it through {@link answerInput}. */
let activeWriter: ScreenWriter | undefined;

/**
 * The app read a key: the frames that answer it are drawn at once, not at the frame-rate cap (a key's
 * effect on screen within a frame's time, the tick and the cap unchanged).
 */
export function answerInput(): void {
	activeWriter?.answerInput();
}

/**
 * Keeps the last frame the terminal shows and writes only what changed, at most `maxFps` times a
 * second. At most one frame is in flight: while the terminal has not taken all of it, later frames
 * are not queued but coalesced (the newest wins) and diffed against the frame in flight once it is
 * through, so memory stays bounded however slowly the terminal reads.
 */
class ScreenWriter {
	private shown: Grid | undefined;
	private latest = '';
	private latestDrawn: string | undefined;
	private timer: NodeJS.Timeout | undefined;
	/** What the terminal has not yet taken of the frame in flight. */
	private pending: Buffer | undefined;
	private lastFlush = 0;
	/** Until then, frames answer a key press (see {@link answerInput}). */
	private answerUntil = 0;
	private closed = false;
	/** Bytes written since start, for diagnostics. */
	bytes = 0;

	constructor(
		private readonly out: TerminalOutput,
		public cols: number,
		public rows: number,
		private readonly intervalMs: number,
		private readonly look: {readonly noColor: boolean; readonly ascii: boolean},
	) {}

	frame(frame: string): void {
		if (this.closed) return;
		this.latest = frame;
		// A frame that answers a key is drawn at once: the cap is for frames nobody asked for. Not
		// while a whole redraw waits for the app's new layout (a resize, back from a stop).
		if (Date.now() < this.answerUntil && this.shown !== undefined && this.pending === undefined) {
			if (this.timer !== undefined) clearTimeout(this.timer);
			this.timer = undefined;
			this.schedule(0);
			return;
		}
		this.schedule(Math.max(0, this.lastFlush + this.intervalMs - Date.now()));
	}

	/** A key was read: the frames of the next {@link ANSWER_MS} answer it. */
	answerInput(): void {
		this.answerUntil = Date.now() + ANSWER_MS;
	}

	/**
	 * The terminal changed size: its contents are unknown, so the next frame is drawn whole, at once. Not
	 * synchronously: Ink renders on the resize event before the app's own size state has updated (React
	 * commits that a moment later), and that first frame is laid out for the old size.
	 */
	resize(cols: number, rows: number): void {
		this.cols = cols;
		this.rows = rows;
		this.redraw(RESIZE_SETTLE_MS);
	}

	/** Draw the next frame whole: the screen's contents are unknown (a resize, or back from a stop). */
	redraw(afterMs = 0): void {
		this.shown = undefined;
		this.latestDrawn = undefined;
		if (this.pending !== undefined) this.abandon();
		if (this.timer !== undefined) clearTimeout(this.timer);
		this.timer = undefined;
		this.schedule(afterMs);
	}

	flush(): void {
		if (this.timer !== undefined) clearTimeout(this.timer);
		this.timer = undefined;
		if (this.closed) return;
		if (this.pending !== undefined) {
			this.drain();
			return;
		}
		if (this.latest === this.latestDrawn) return;
		const next = parseFrame(this.latest, this.cols, this.rows, this.look);
		const bytes = diffGrids(this.shown, next);
		this.shown = next;
		this.latestDrawn = this.latest;
		this.lastFlush = Date.now();
		if (bytes !== '') this.write(bytes);
	}

	write(bytes: string): void {
		this.bytes += bytes.length;
		this.pending =
			this.pending === undefined
				? Buffer.from(bytes)
				: Buffer.concat([this.pending, Buffer.from(bytes)]);
		this.drain();
	}

	/**
	 * Stops drawing and drops what the terminal has not taken; what is written next must start with
	 * {@link cancel}, in case the terminal is in the middle of a sequence.
	 */
	close(): void {
		if (this.timer !== undefined) clearTimeout(this.timer);
		this.timer = undefined;
		this.closed = true;
		this.pending = undefined;
	}

	/** Reopens after {@link close} (back from a stop): the next frame is drawn whole. */
	reopen(): void {
		this.closed = false;
		this.redraw();
	}

	private drain(): void {
		const pending = this.pending!;
		const written = this.out.write(pending);
		if (written >= pending.length) {
			this.pending = undefined;
			// A frame that arrived while this one was in flight: now its turn.
			if (this.latest !== this.latestDrawn) {
				this.schedule(Math.max(0, this.lastFlush + this.intervalMs - Date.now()));
			}
			return;
		}
		this.pending = pending.subarray(written);
		// The terminal is full. Retry soon; a poll costs one failed write, and nothing else waits.
		this.schedule(retryMs);
	}

	/** Drops the rest of the frame in flight; the next write first ends a sequence cut in half. */
	private abandon(): void {
		this.pending = Buffer.from(cancel);
	}

	private schedule(ms: number): void {
		if (this.timer !== undefined || this.closed) return;
		this.timer = setTimeout(() => this.flush(), ms);
	}
}

/**
 * After a resize, the whole frame is drawn this much later: time for the app to commit its layout for
 * the new size (a timer of 0 sometimes fired first on a loaded machine, and drew the old layout).
 */
const RESIZE_SETTLE_MS = 40;

/** How often a terminal that took only part of a frame is offered the rest. */
const retryMs = 20;

/**
 * SIGHUP exits with 129 (128 + 1), what a shell reports for a process the hangup killed, so a wrapper
 * (`ssh host concurrency-top; echo $?`) can tell a dropped connection from a deliberate quit; the
 * process still exits normally, so the cleanup hook runs first. SIGINT and SIGTERM are requests to
 * stop, not failures: 0.
 */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
	return signal === 'SIGHUP' ? 129 : 0;
}

const consoleMethods = ['log', 'info', 'warn', 'error', 'debug'] as const;

/**
 * Stray console output would land in the middle of the screen: while on screen, `console.*` keeps
 * its last 100 lines here instead, printed only after an uncaught error.
 */
class ConsoleCapture {
	readonly lines: string[] = [];
	readonly #original = consoleMethods.map((method) => [method, console[method]] as const);

	constructor() {
		for (const method of consoleMethods) {
			console[method] = (...args: unknown[]) => {
				this.lines.push(args.map(String).join(' '));
				if (this.lines.length > 100) this.lines.shift();
			};
		}
	}

	release(): void {
		for (const [method, original] of this.#original) console[method] = original;
	}
}

/** Runs `cleanup` for at most `timeoutMs`; a failure is one line on `stderr`. */
async function cleanUp(
	cleanup: () => Promise<void> | void,
	timeoutMs: number,
	stderr: NodeJS.WriteStream,
): Promise<void> {
	let timer: NodeJS.Timeout | undefined;
	try {
		await Promise.race([
			Promise.resolve().then(cleanup),
			new Promise<void>((resolve) => {
				timer = setTimeout(resolve, timeoutMs);
			}),
		]);
	} catch (error: unknown) {
		stderr.write(`cleanup failed: ${error instanceof Error ? error.message : String(error)}\n`);
	} finally {
		if (timer !== undefined) clearTimeout(timer);
	}
}

/** One run of {@link runFullScreen}: the terminal taken over, the app drawn on it, every way out. */
class FullScreen {
	readonly #node: ReactNode;
	readonly #options: FullScreenOptions;
	readonly #stdout: NodeJS.WriteStream;
	readonly #stdin: NodeJS.ReadStream;
	readonly #stderr: NodeJS.WriteStream;
	readonly #output: TerminalOutput;
	readonly #writer: ScreenWriter;
	readonly #sink: FrameSink;
	readonly #console = new ConsoleCapture();
	#instance: Instance | undefined;
	#shuttingDown = false;
	#restored = false;
	readonly finished: Promise<ExitReason>;
	#finish: (reason: ExitReason) => void = () => {};

	constructor(node: ReactNode, options: FullScreenOptions) {
		this.#node = node;
		this.#options = options;
		this.#stdout = options.stdout ?? process.stdout;
		this.#stdin = options.stdin ?? process.stdin;
		this.#stderr = options.stderr ?? process.stderr;
		const env = options.env ?? process.env;
		const [cols, rows] = this.#size();
		this.#output = new TerminalOutput(this.#stdout);
		const intervalMs = Math.ceil(1000 / Math.max(1, options.maxFps ?? 10));
		this.#writer = new ScreenWriter(this.#output, cols, rows, intervalMs, {
			noColor: isColorDisabled(env, options.noColor),
			ascii: options.ascii ?? !isUnicodeSafe(env),
		});
		this.#sink = new FrameSink(cols, rows, (frame) => this.#writer.frame(frame));
		this.finished = new Promise<ExitReason>((resolve) => {
			this.#finish = resolve;
		});
	}

	/** Takes the terminal over and renders the app on it; resolves when it is all over. */
	async run(): Promise<ExitReason> {
		activeWriter = this.#writer;
		this.#listen();
		this.#output.hold();
		this.#output.writeAll(enterSequence);
		try {
			this.#instance = render(this.#node, {
				stdout: this.#sink as unknown as NodeJS.WriteStream,
				stdin: this.#stdin,
				stderr: this.#stderr,
				debug: true,
				exitOnCtrlC: this.#options.exitOnCtrlC ?? true,
				patchConsole: false,
			});
		} catch (error: unknown) {
			await this.#shutdown({kind: 'error', error, code: 1});
			return this.finished;
		}
		this.#instance.waitUntilExit().then(
			() => this.#shutdown({kind: 'app', code: 0}),
			(error: unknown) => this.#shutdown({kind: 'error', error, code: 1}),
		);
		return this.finished;
	}

	#size(): [number, number] {
		return [this.#stdout.columns || 80, this.#stdout.rows || 24];
	}

	/** Every way out, and the terminal's own events (resize, stop), each to its handler. */
	#listen(): void {
		// A closed terminal (SIGHUP) makes writes fail asynchronously; that must not crash the exit path.
		this.#stdout.on('error', this.#ignore);
		this.#stderr.on('error', this.#ignore);
		this.#stdin.on('error', this.#onInputError);
		for (const signal of QUIT_SIGNALS) process.on(signal, this.#onSignal);
		process.on('uncaughtException', this.#onError);
		process.on('unhandledRejection', this.#onError);
		// Last resort if something calls process.exit() directly: restore synchronously (TTY writes are).
		process.on('exit', this.#restoreTerminal);
		this.#stdout.on('resize', this.#onResize);
		process.on('SIGTSTP', this.#onStop);
	}

	/** The reverse of {@link #listen}, when the process lives on after the screen (tests). */
	#unlisten(): void {
		for (const signal of QUIT_SIGNALS) process.off(signal, this.#onSignal);
		process.off('uncaughtException', this.#onError);
		process.off('unhandledRejection', this.#onError);
		process.off('exit', this.#restoreTerminal);
		this.#stdout.off('error', this.#ignore);
		this.#stderr.off('error', this.#ignore);
		this.#stdin.off('error', this.#onInputError);
	}

	readonly #ignore = (): void => {};

	readonly #onSignal = (signal: NodeJS.Signals): void => {
		void this.#shutdown({kind: 'signal', signal, code: exitCodeForSignal(signal)});
	};

	readonly #onError = (error: unknown): void => {
		void this.#shutdown({kind: 'error', error, code: 1});
	};

	/** Reading a terminal that hung up fails (EIO) before or instead of SIGHUP: the hangup. */
	readonly #onInputError = (): void => this.#onSignal('SIGHUP');

	/** Main screen, cursor shown, cooked mode, blocking writes: the terminal as we found it. */
	#leaveScreen(): boolean {
		this.#writer.close();
		if (activeWriter === this.#writer) activeWriter = undefined;
		const stdin = this.#stdin;
		const wasRaw = stdin.isTTY && stdin.isRaw;
		try {
			if (wasRaw) stdin.setRawMode(false);
		} catch {
			// stdin may be closed already.
		}
		this.#output.writeAll(cancel + leaveSequence);
		this.#output.release();
		return wasRaw;
	}

	readonly #restoreTerminal = (): void => {
		if (this.#restored) return;
		this.#restored = true;
		this.#leaveScreen();
		this.#console.release();
	};

	readonly #onResize = (): void => {
		const [cols, rows] = this.#size();
		this.#writer.resize(cols, rows);
		this.#sink.columns = cols;
		this.#sink.rows = rows;
		// Ink re-renders synchronously on this event (it ignores it in CI; then rerender does it).
		if (this.#sink.listenerCount('resize') > 0) this.#sink.emit('resize');
		else this.#instance?.rerender(this.#node);
	};

	/**
	 * Ctrl-Z (the app sends itself SIGTSTP: in raw mode the key is only a byte) or `kill -TSTP`: the
	 * terminal as we found it, then stop like any full-screen program; on `fg`, {@link #resume}.
	 */
	readonly #onStop = (): void => {
		if (this.#shuttingDown) return;
		const wasRaw = this.#leaveScreen();
		process.once('SIGCONT', () => this.#resume(wasRaw));
		// SIGSTOP, not SIGTSTP again: this process listens to SIGTSTP, and SIGSTOP cannot be caught.
		process.kill(process.pid, 'SIGSTOP');
	};

	/** Back from a stop: the terminal taken over again, the whole frame drawn at the window's size. */
	#resume(wasRaw: boolean): void {
		if (this.#shuttingDown) return;
		try {
			if (wasRaw) this.#stdin.setRawMode(true);
		} catch {
			// The terminal went away while we were stopped; its hang-up ends us.
		}
		this.#output.hold();
		this.#output.writeAll(enterSequence);
		this.#writer.reopen();
		activeWriter = this.#writer;
		this.#onResize();
	}

	/** The app gone, the terminal restored, then `cleanup`; then the process exits (or run resolves). */
	async #shutdown(reason: ExitReason): Promise<void> {
		const exitProcess = this.#options.exitProcess ?? true;
		if (this.#shuttingDown) {
			// A second signal while cleanup runs: the user insists.
			if (reason.kind === 'signal' && exitProcess) process.exit(reason.code);
			return;
		}
		this.#shuttingDown = true;
		this.#stdout.off('resize', this.#onResize);
		process.off('SIGTSTP', this.#onStop);
		try {
			this.#instance?.unmount();
		} catch {
			// Already unmounted.
		}
		this.#restoreTerminal();
		if (reason.kind === 'error') this.#reportError(reason.error);
		const {cleanup, cleanupTimeoutMs = 1000} = this.#options;
		await cleanUp(() => cleanup?.(reason), cleanupTimeoutMs, this.#stderr);
		if (exitProcess) process.exit(reason.code);
		this.#unlisten();
		this.#finish(reason);
	}

	/** After an uncaught error: what the console said while on screen, then the error. */
	#reportError(error: unknown): void {
		for (const line of this.#console.lines) this.#stderr.write(line + '\n');
		this.#stderr.write(
			`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
		);
	}
}

/**
 * Runs an Ink element full screen until it exits (`exit()` from `useApp`, `q` if the app binds it,
 * Ctrl-C), a signal (SIGINT, SIGTERM, SIGHUP) or an uncaught error. The terminal is left as it was:
 * main screen, cursor shown, cooked mode, autowrap on. Then `cleanup` runs (at most `cleanupTimeoutMs`)
 * and the process exits with 0 (app exit, SIGINT, SIGTERM), 129 (SIGHUP) or 1 (error).
 *
 * Ink renders into an off-screen stream in `debug` mode (one whole frame per write); this module keeps
 * the frame on the terminal and writes only the changed cells, so Ink's clear-the-screen-and-scrollback
 * path for terminal-tall frames is never taken.
 *
 * @returns the exit reason, when `exitProcess` is false.
 */
export async function runFullScreen(
	node: ReactNode,
	options: FullScreenOptions = {},
): Promise<ExitReason> {
	return new FullScreen(node, options).run();
}
