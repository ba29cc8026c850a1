import {writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';

/** A user's mistake: one line on stderr, exit status 2, never a stack trace. */
export function fail(message: string): never {
	process.stderr.write(`concurrency-top: ${message}\n`);
	process.exit(2);
}

/** Our mistake: a short line on stderr, the details in a log file whose path it gives, exit status 1. */
export function internalError(error: unknown): never {
	const message = error instanceof Error ? error.message : String(error);
	const details = error instanceof Error ? (error.stack ?? message) : message;
	const log = path.join(tmpdir(), `concurrency-top-${process.pid}.log`);
	let where = `details in ${log}`;
	try {
		writeFileSync(
			log,
			`${new Date().toISOString()} concurrency-top ${process.argv.slice(2).join(' ')}\n${details}\n`,
		);
	} catch {
		where = 'no log could be written';
	}
	process.stderr.write(`concurrency-top: internal error: ${message.split('\n')[0]} (${where})\n`);
	process.exit(1);
}
