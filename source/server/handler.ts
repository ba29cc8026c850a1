/** What the server does with the bytes a client sends. */
export const HANDLER_NAMES = ['echo', 'upper'] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];

const LOWER_A = 0x61;
const LOWER_Z = 0x7a;

/** Returns the reply to a chunk. `echo` returns the same bytes; `upper` upper-cases ASCII only, so any other byte (UTF-8 included) passes through unchanged. */
export function makeHandler(name: HandlerName): (chunk: Buffer) => Buffer {
	if (name === 'echo') return (chunk) => chunk;
	return (chunk) => {
		const out = Buffer.from(chunk);
		for (let i = 0; i < out.length; i++) {
			const byte = out[i]!;
			if (byte >= LOWER_A && byte <= LOWER_Z) out[i] = byte - 32;
		}
		return out;
	};
}

/** Messages are newline-terminated lines; a chunk may hold several, or part of one. */
export function countMessages(chunk: Buffer): number {
	let count = 0;
	let index = chunk.indexOf(10);
	while (index !== -1) {
		count++;
		index = chunk.indexOf(10, index + 1);
	}
	return count;
}

/**
 * The chunk's memory to move rather than copy to the other thread, when the chunk is all of it (a
 * socket read is; a slice of Buffer's shared pool never is): a bulk sender then costs no copies and
 * no garbage on either side.
 */
export function wholeBuffer(chunk: Uint8Array): ArrayBuffer[] {
	const {buffer} = chunk;
	return buffer instanceof ArrayBuffer &&
		chunk.byteOffset === 0 &&
		chunk.byteLength === buffer.byteLength
		? [buffer]
		: [];
}
