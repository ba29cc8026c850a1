/**
 * Runs a command in a real pseudo-terminal (node-pty) and emulates the terminal (@xterm/headless), so
 * tests can read the screen the way a person would see it, and count what was written.
 */
import fs from 'node:fs';
import {StringDecoder} from 'node:string_decoder';
import pty from 'node-pty';
import xterm from '@xterm/headless';

const {Terminal} = xterm;

export type PtyOptions = {
	readonly cols?: number;
	readonly rows?: number;
	readonly env?: Readonly<Record<string, string | undefined>>;
	readonly cwd?: string;
};

export type PtyExit = {readonly exitCode: number; readonly signal: number | undefined};

const sleep = async (ms: number): Promise<void> =>
	new Promise((resolve) => {
		setTimeout(resolve, ms);
	});

// eslint-disable-next-line no-control-regex
const privateMode = /\u001B\[\?([\d;]+)([hl])/g;
// eslint-disable-next-line no-control-regex
const clearScreen = /\u001B\[([23])J/g;
// eslint-disable-next-line no-control-regex
const incompleteTail = /\u001B(\[[\d;?]*)?$/;

/** A command running in a pseudo-terminal, with the emulated screen it draws. */
export class PtySession {
	/** Bytes the program wrote to the terminal since start (or the last {@link resetCounters}). */
	bytes = 0;
	/** `ESC[2J` (clear screen) seen since start or reset. */
	clear2J = 0;
	/** `ESC[3J` (clear scrollback) seen since start or reset. */
	clear3J = 0;
	/** DECSET 1049/1047/47 last set (alternate screen), from the byte stream. */
	altScreen = false;
	/** DECTCEM (25) state, from the byte stream; terminals start with the cursor shown. */
	cursorVisible = true;
	/** Everything written, for diagnostics. */
	output = '';
	exited: PtyExit | undefined;
	readonly exit: Promise<PtyExit>;
	readonly pid: number;

	private readonly process: pty.IPty;
	private readonly term: InstanceType<typeof Terminal>;
	private pending = 0;
	private carry = '';
	private startedAt = Date.now();
	private throttleTimer: NodeJS.Timeout | undefined;

	constructor(file: string, args: readonly string[], options: PtyOptions = {}) {
		const cols = options.cols ?? 80;
		const rows = options.rows ?? 24;
		this.term = new Terminal({cols, rows, scrollback: 1000, allowProposedApi: true});
		const env: Record<string, string> = {};
		// A pseudo-terminal stands for a person's terminal, which has no CI variable: with it, Ink draws
		// nothing until exit and chalk turns colour off. Tests that want them pass them in `env`.
		const inherited = {...process.env, CI: undefined, CONTINUOUS_INTEGRATION: undefined};
		for (const [key, value] of Object.entries({...inherited, ...options.env})) {
			if (value !== undefined) env[key] = value;
		}
		env['TERM'] ??= 'xterm-256color';
		this.process = pty.spawn(file, [...args], {
			name: env['TERM'],
			cols,
			rows,
			cwd: options.cwd ?? process.cwd(),
			env,
		});
		this.pid = this.process.pid;
		this.process.onData((data) => this.receive(data));
		this.exit = new Promise((resolve) => {
			this.process.onExit(({exitCode, signal}) => {
				this.exited = {exitCode, signal: signal || undefined};
				resolve(this.exited);
			});
		});
	}

	/**
	 * Screen lines of the active buffer (alternate or main) as a person sees them: trailing blanks
	 * trimmed, whether erased or written as spaces.
	 */
	lines(): string[] {
		const buffer = this.term.buffer.active;
		const lines: string[] = [];
		for (let y = 0; y < this.term.rows; y++) {
			lines.push(
				buffer
					.getLine(buffer.viewportY + y)
					?.translateToString(true, 0, this.term.cols)
					.trimEnd() ?? '',
			);
		}
		return lines;
	}

	/** The screen as one string, lines joined by `\n`. */
	text(): string {
		return this.lines().join('\n');
	}

	/** Which buffer xterm shows, to cross-check {@link altScreen}. */
	bufferType(): 'normal' | 'alternate' {
		return this.term.buffer.active.type;
	}

	/** Lines that scrolled off the top of the normal buffer (scrollback). */
	scrollback(): number {
		return this.term.buffer.normal.baseY;
	}

	get cols(): number {
		return this.term.cols;
	}

	get rows(): number {
		return this.term.rows;
	}

	/** Milliseconds since start or the last reset. */
	elapsedMs(): number {
		return Date.now() - this.startedAt;
	}

	press(keys: string): void {
		this.process.write(keys);
	}

	/**
	 * From now on the terminal reads the program's output slowly, as over a congested SSH link: at most
	 * `bytes` every `intervalMs`. What the program writes beyond that waits in the kernel's pty buffer,
	 * and once that is full a blocking write in the program blocks.
	 */
	throttle(bytes: number, intervalMs: number): void {
		const fd = (this.process as unknown as {fd: number}).fd;
		this.process.pause();
		const decoder = new StringDecoder('utf8');
		const buffer = Buffer.alloc(bytes);
		this.throttleTimer = setInterval(() => {
			let read = 0;
			try {
				read = fs.readSync(fd, buffer, 0, bytes, null);
			} catch {
				return; // EAGAIN: nothing written; EIO: the program is gone.
			}
			if (read > 0) this.receive(decoder.write(buffer.subarray(0, read)));
		}, intervalMs);
	}

	resize(cols: number, rows: number): void {
		this.term.resize(cols, rows);
		this.process.resize(cols, rows);
	}

	kill(signal: NodeJS.Signals = 'SIGTERM'): void {
		if (this.exited) return;
		try {
			this.process.kill(signal);
		} catch {
			// Already gone.
		}
	}

	/**
	 * Closes the terminal the way a dropped SSH connection does: the master side goes away and the
	 * process gets SIGHUP. Its later output and exit status are not observable any more.
	 */
	hangUp(): void {
		(this.process as unknown as {destroy(): void}).destroy();
	}

	resetCounters(): void {
		this.bytes = 0;
		this.clear2J = 0;
		this.clear3J = 0;
		this.startedAt = Date.now();
	}

	/** Resolves once the emulator has parsed all output received so far. */
	async settled(): Promise<void> {
		while (this.pending > 0) await sleep(5);
	}

	/**
	 * Waits until the screen contains `text`, or `predicate(session)` holds, checked after output is
	 * parsed. Rejects with the screen contents on timeout.
	 */
	async waitFor(
		condition: string | ((session: PtySession) => boolean),
		timeoutMs = 5000,
	): Promise<void> {
		const check =
			typeof condition === 'string' ? () => this.text().includes(condition) : () => condition(this);
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			await this.settled();
			if (check()) return;
			if (Date.now() > deadline) {
				throw new Error(
					`timed out after ${timeoutMs} ms waiting for ${String(condition)}; screen:\n${this.text()}`,
				);
			}
			await sleep(20);
		}
	}

	async waitForExit(timeoutMs = 5000): Promise<PtyExit> {
		let timer: NodeJS.Timeout | undefined;
		const timeout = new Promise<never>((_resolve, reject) => {
			timer = setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms`)), timeoutMs);
		});
		try {
			const result = await Promise.race([this.exit, timeout]);
			await sleep(20);
			await this.settled();
			return result;
		} finally {
			clearTimeout(timer);
		}
	}

	/** Kills the process if it still runs and frees the emulator. Safe to call more than once. */
	async dispose(): Promise<void> {
		clearInterval(this.throttleTimer);
		if (!this.exited) {
			this.kill('SIGKILL');
			await Promise.race([this.exit, sleep(2000)]);
		}
		this.term.dispose();
	}

	private receive(data: string): void {
		this.bytes += Buffer.byteLength(data);
		this.output += data;
		if (this.output.length > 4_000_000) this.output = this.output.slice(-1_000_000);
		const text = this.carry + data;
		const tail = incompleteTail.exec(text);
		this.carry = tail ? tail[0] : '';
		const complete = tail ? text.slice(0, tail.index) : text;
		for (const [, parameters, mode] of complete.matchAll(privateMode)) {
			for (const parameter of parameters!.split(';')) {
				if (parameter === '25') this.cursorVisible = mode === 'h';
				if (parameter === '1049' || parameter === '1047' || parameter === '47') {
					this.altScreen = mode === 'h';
				}
			}
		}
		for (const [, kind] of complete.matchAll(clearScreen)) {
			if (kind === '2') this.clear2J++;
			else this.clear3J++;
		}
		this.pending++;
		this.term.write(data, () => {
			this.pending--;
		});
	}
}

/** Runs `node script args…` in a pseudo-terminal. */
export function spawnNode(
	script: string,
	args: readonly string[] = [],
	options: PtyOptions = {},
): PtySession {
	return new PtySession(process.execPath, [script, ...args], options);
}
