import fs from 'node:fs';

/**
 * The terminal, written without ever blocking the event loop. Node writes to a TTY synchronously
 * (`tty.WriteStream` calls `setBlocking(true)` on its handle), so a terminal that reads slowly (a
 * congested SSH link) would stop everything in this process, an in-process server included, inside
 * `write`. Here the descriptor is made non-blocking (libuv gave this stream a file description of its
 * own when it reopened the tty, so nothing else shares the flag), and `write` takes what the terminal
 * accepts now and keeps the rest, which the caller retries. Streams that are not a TTY are written
 * as they are.
 */
export class TerminalOutput {
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
