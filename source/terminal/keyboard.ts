/**
 * Where the keys come from. With stdin redirected (`concurrency-top < /dev/null`, or in a pipe),
 * they are read from the controlling terminal, /dev/tty, as less and fzf do; with no terminal at
 * all there is nothing to read keys from: one line saying so, and that --json needs none.
 */
import {openSync} from 'node:fs';
import tty from 'node:tty';

let keyboard: NodeJS.ReadStream | undefined;

/** No terminal to read keys from: the user's to fix, said in one line (main.ts). */
export class NoTerminalError extends Error {
	override readonly name = 'NoTerminalError';
}

/** stdin when it is a terminal, else /dev/tty; a NoTerminalError when neither is. Opened once. */
export function keyboardInput(stdin: NodeJS.ReadStream = process.stdin): NodeJS.ReadStream {
	if (stdin.isTTY) return stdin;
	if (keyboard !== undefined) return keyboard;
	let fd: number;
	try {
		fd = openSync('/dev/tty', 'r');
	} catch (error: unknown) {
		const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
		throw new NoTerminalError(
			`no terminal to read keys from (stdin is not one, and /dev/tty: ${code}): run it in a terminal, or use --json for JSON lines`,
		);
	}
	keyboard = new tty.ReadStream(fd) as NodeJS.ReadStream;
	return keyboard;
}
