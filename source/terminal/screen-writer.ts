import {Writable} from 'node:stream';
import {diffGrids, parseFrame, type Grid} from './screen.js';
import type {TerminalOutput} from './terminal-output.js';

/** Cancels an escape sequence the terminal may be in the middle of (an abandoned partial frame). */
export const cancel = '\u0018';

/** How long after a key press frames are drawn at once: the action's effects, published as they come. */
const ANSWER_MS = 300;

/**
 * After a resize, the whole frame is drawn this much later: time for the app to commit its layout for
 * the new size (a timer of 0 sometimes fired first on a loaded machine, and drew the old layout).
 */
const RESIZE_SETTLE_MS = 40;

/** How often a terminal that took only part of a frame is offered the rest. */
const retryMs = 20;

/**
 * Where Ink renders: a stream with the real terminal's size that receives one whole frame per write
 * (Ink's `debug` mode) and hands it on.
 */
export class FrameSink extends Writable {
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
 * Keeps the last frame the terminal shows and writes only what changed, at most `maxFps` times a
 * second. At most one frame is in flight: while the terminal has not taken all of it, later frames
 * are not queued but coalesced (the newest wins) and diffed against the frame in flight once it is
 * through, so memory stays bounded however slowly the terminal reads.
 */
export class ScreenWriter {
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
