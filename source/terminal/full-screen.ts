import type {ReactNode} from 'react';
import {render, type Instance} from '#ink';
import {isColorDisabled, isUnicodeSafe} from './capabilities.js';
import {cancel, FrameSink, ScreenWriter} from './screen-writer.js';
import {keyboardInput} from './keyboard.js';
import {TerminalOutput} from './terminal-output.js';
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
		this.#stdin = options.stdin ?? keyboardInput();
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
