/**
 * Terminal input as key presses. A terminal sends more than keys: mouse reports, a paste wrapped in
 * bracketed-paste markers, replies to queries (OSC colours, DCS), function keys as CSI or SS3
 * sequences. Read byte by byte they would all be key presses (`ESC[<64;20;5M` types `6`, `4`, …), so
 * every sequence is parsed as one unit here and only the keys a program may bind come out.
 */

/** A key the dashboard may bind, besides printable characters. */
export type KeyName =
	| 'up'
	| 'down'
	| 'left'
	| 'right'
	| 'page-up'
	| 'page-down'
	| 'home'
	| 'end'
	| 'return'
	| 'escape'
	| 'backspace'
	| 'delete'
	| 'tab';

export type KeyPress =
	/** One printable character (a grapheme's first code point is enough for key bindings). */
	| {readonly kind: 'text'; readonly text: string}
	| {readonly kind: 'key'; readonly name: KeyName}
	/** Ctrl with a letter: `c` for Ctrl-C, `z` for Ctrl-Z. */
	| {readonly kind: 'ctrl'; readonly letter: string}
	/** Text pasted inside bracketed-paste markers (printable characters only), in pieces. */
	| {readonly kind: 'paste'; readonly text: string};

const ESC = '\u001B';
/** A lone ESC is the Escape key once this long passes without the rest of a sequence. */
export const ESCAPE_WAIT_MS = 50;
/** A paste or terminal reply that stops mid-way is given up after this long, so keys work again. */
const STRING_WAIT_MS = 1000;
const PASTE_END = `${ESC}[201~`;

const CSI_KEYS: Readonly<Record<string, KeyName>> = {
	A: 'up',
	B: 'down',
	C: 'right',
	D: 'left',
	H: 'home',
	F: 'end',
	Z: 'tab',
};
const TILDE_KEYS: Readonly<Record<string, KeyName>> = {
	'1': 'home',
	'7': 'home',
	'4': 'end',
	'8': 'end',
	'3': 'delete',
	'5': 'page-up',
	'6': 'page-down',
};

type Mode = 'ground' | 'paste' | 'string';
type Step = {readonly length: number; readonly key?: KeyPress; readonly mode?: Mode} | 'incomplete';

const isCsiFinal = (code: number) => code >= 0x40 && code <= 0x7e;

/** A CSI sequence starting at `at` (after ESC [ or C1 CSI, `head` characters long). */
function csi(input: string, at: number, head: number): Step {
	let index = at + head;
	// The Linux console's function keys: ESC [ [ A … E.
	if (input[index] === '[') return index + 1 < input.length ? {length: head + 2} : 'incomplete';
	// X10 mouse report: ESC [ M and three raw bytes.
	if (input[index] === 'M') return index + 3 < input.length ? {length: head + 4} : 'incomplete';
	const start = index;
	while (index < input.length) {
		const code = input.charCodeAt(index);
		if (code >= 0x20 && code <= 0x3f) {
			index++;
			continue;
		}
		const length = index + 1 - at;
		// Not a CSI after all (a control character inside): drop what was read, keep the rest.
		if (!isCsiFinal(code)) return {length: length - 1};
		const parameters = input.slice(start, index);
		const final = input[index]!;
		if (final === '~') {
			const first = parameters.split(';')[0]!;
			if (first === '200') return {length, mode: 'paste'};
			const name = TILDE_KEYS[first];
			return name ? {length, key: {kind: 'key', name}} : {length};
		}
		// Private and mouse sequences (`<`, `?`, `>`, `=`) are never keys.
		const name = /^[\d;]*$/.test(parameters) ? CSI_KEYS[final] : undefined;
		return name ? {length, key: {kind: 'key', name}} : {length};
	}
	return 'incomplete';
}

/** What starts at `at` in ground mode: one key, a whole sequence, or the start of a string. */
function step(input: string, at: number): Step {
	const char = input[at]!;
	const code = char.charCodeAt(0);
	if (char === ESC) {
		const next = input[at + 1];
		if (next === undefined) return 'incomplete';
		if (next === '[') return csi(input, at, 2);
		if (next === 'O') {
			if (at + 2 >= input.length) return 'incomplete';
			const name = CSI_KEYS[input[at + 2]!];
			return name ? {length: 3, key: {kind: 'key', name}} : {length: 3};
		}
		// OSC, DCS, SOS, PM, APC: a string up to ST (or BEL), never keys.
		if (']PX^_'.includes(next)) return {length: 2, mode: 'string'};
		// ESC ESC: the first is the Escape key; the second starts whatever follows.
		if (next === ESC) return {length: 1, key: {kind: 'key', name: 'escape'}};
		// Alt with a key: nothing is bound to Alt.
		return {length: 1 + (input.codePointAt(at + 1)! > 0xffff ? 2 : 1)};
	}
	if (code === 0x9b) return csi(input, at, 1);
	if (code === 0x9d || code === 0x90) return {length: 1, mode: 'string'};
	if (code === 0x0d || code === 0x0a) return {length: 1, key: {kind: 'key', name: 'return'}};
	if (code === 0x09) return {length: 1, key: {kind: 'key', name: 'tab'}};
	if (code === 0x7f || code === 0x08) return {length: 1, key: {kind: 'key', name: 'backspace'}};
	if (code >= 1 && code <= 26) {
		return {length: 1, key: {kind: 'ctrl', letter: String.fromCharCode(code + 0x60)}};
	}
	if (code < 0x20 || (code >= 0x80 && code < 0xa0)) return {length: 1};
	const length = code >= 0xd800 && code <= 0xdbff && at + 1 < input.length ? 2 : 1;
	return {length, key: {kind: 'text', text: input.slice(at, at + length)}};
}

// eslint-disable-next-line no-control-regex
const unprintable = /[\u0000-\u001F\u007F-\u009F]/g;

/**
 * Turns chunks of terminal input into key presses, whatever the chunk boundaries. Holds at most one
 * incomplete sequence (bounded: a sequence that does not end is dropped) and nothing of a paste or a
 * terminal reply but the few bytes that may be the start of its end marker.
 */
export class KeyReader {
	#pending = '';
	#mode: Mode = 'ground';
	#timer: NodeJS.Timeout | undefined;

	constructor(private readonly onKey: (key: KeyPress) => void) {}

	push(chunk: string): void {
		if (this.#timer !== undefined) clearTimeout(this.#timer);
		this.#timer = undefined;
		let input = this.#pending + chunk;
		this.#pending = '';
		while (input !== '') {
			const used =
				this.#mode === 'ground'
					? this.#ground(input)
					: this.#mode === 'paste'
						? this.#paste(input)
						: this.#string(input);
			input = input.slice(used);
			if (used === 0) break;
		}
		// Never hold more than a short sequence: anything longer waiting for its end is not a key.
		if (this.#pending.length > 64) this.#pending = '';
		if (this.#pending !== '' || this.#mode !== 'ground') {
			const wait = this.#mode === 'ground' ? ESCAPE_WAIT_MS : STRING_WAIT_MS;
			this.#timer = setTimeout(() => this.flush(), wait);
		}
	}

	/** No more input came: a lone ESC is the Escape key; a sequence cut short is dropped. */
	flush(): void {
		if (this.#timer !== undefined) clearTimeout(this.#timer);
		this.#timer = undefined;
		const pending = this.#pending;
		this.#pending = '';
		this.#mode = 'ground';
		if (pending === ESC) this.onKey({kind: 'key', name: 'escape'});
	}

	dispose(): void {
		if (this.#timer !== undefined) clearTimeout(this.#timer);
		this.#timer = undefined;
	}

	/** Consumes from `input`; returns how much. Leaves an incomplete sequence pending. */
	#ground(input: string): number {
		let at = 0;
		while (at < input.length) {
			const result = step(input, at);
			if (result === 'incomplete') {
				this.#pending = input.slice(at);
				return input.length;
			}
			at += result.length;
			if (result.key) this.onKey(result.key);
			if (result.mode) {
				this.#mode = result.mode;
				return at;
			}
		}
		return at;
	}

	/** Pasted text up to the end marker, printable characters only. */
	#paste(input: string): number {
		const end = input.indexOf(PASTE_END);
		const text = end === -1 ? input.slice(0, input.length - partialSuffix(input, PASTE_END)) : '';
		const piece = end === -1 ? text : input.slice(0, end);
		const printable = piece.replace(unprintable, '');
		if (printable !== '') this.onKey({kind: 'paste', text: printable});
		if (end !== -1) {
			this.#mode = 'ground';
			return end + PASTE_END.length;
		}
		this.#pending = input.slice(piece.length);
		return input.length;
	}

	/** A terminal reply or other string: skipped up to BEL, ST (ESC \) or C1 ST. */
	#string(input: string): number {
		// eslint-disable-next-line no-control-regex
		const end = /\u0007|\u001B\\|\u009C/u.exec(input);
		if (end) {
			this.#mode = 'ground';
			return end.index + end[0].length;
		}
		if (input.endsWith(ESC)) this.#pending = ESC;
		return input.length;
	}
}

/** How many characters at the end of `text` are the start of `marker`. */
function partialSuffix(text: string, marker: string): number {
	for (let length = Math.min(marker.length - 1, text.length); length > 0; length--) {
		if (text.endsWith(marker.slice(0, length))) return length;
	}
	return 0;
}
