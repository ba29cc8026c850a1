import {readFileSync} from 'node:fs';

/**
 * The address space the screen needs: Ink's layout engine (Yoga) is WebAssembly, and V8 reserves
 * about 10 GiB of address space for each WebAssembly memory (its guard regions); with two of them
 * and Node itself, 20 GiB failed and 22 GiB ran (`prlimit --as=<bytes> node dist/cli.js --json`).
 */
export const SCREEN_ADDRESS_SPACE = 24 * 2 ** 30;

const TRAP_HANDLER_OFF = '--disable-wasm-trap-handler';

/** The soft limit on this process's address space in bytes (`ulimit -v`), null if none. */
export function addressSpaceLimit(): number | null {
	try {
		const limits = readFileSync('/proc/self/limits', 'utf8');
		const soft = /^Max address space\s+(\S+)/m.exec(limits)?.[1];
		return soft === undefined || soft === 'unlimited' ? null : Number(soft);
	} catch {
		return null;
	}
}

/**
 * Before a command that loads the screen: under a smaller address-space limit, WebAssembly fails
 * deep inside Ink with several lines and an "internal error"; instead, say which limit and what is
 * needed, in one line. Without the trap handler V8 reserves no guard regions and 8 GiB is plenty.
 */
export function screenAddressSpaceProblem(): string | null {
	const limit = addressSpaceLimit();
	if (
		limit === null ||
		limit >= SCREEN_ADDRESS_SPACE ||
		process.execArgv.includes(TRAP_HANDLER_OFF)
	) {
		return null;
	}
	const gib = (bytes: number) => `${Math.floor((bytes / 2 ** 30) * 10) / 10} GiB`;
	return (
		`the address-space limit (ulimit -v) is ${gib(limit)}, and the screen's layout engine ` +
		`(WebAssembly) reserves about 22 GiB: raise it to ${gib(SCREEN_ADDRESS_SPACE)} or unlimited, ` +
		`or run node ${TRAP_HANDLER_OFF} ${process.argv[1] ?? 'cli.js'} (serve needs neither)`
	);
}

/** This process's address space in use now (VmSize), in bytes; null if /proc cannot say. */
export function addressSpaceUsed(): number | null {
	try {
		const kb = /^VmSize:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
		return kb === undefined ? null : Number(kb) * 1024;
	} catch {
		return null;
	}
}
