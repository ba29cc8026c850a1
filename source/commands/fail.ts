/** A user's mistake: one line on stderr, exit status 2, never a stack trace. */
export function fail(message: string): never {
	process.stderr.write(`concurrency-top: ${message}\n`);
	process.exit(2);
}
