#!/usr/bin/env node
// React and Ink run their development builds unless told otherwise, several times slower per frame.
// The bundle is built with NODE_ENV=production; this covers a dependency that reads it at run time.
process.env['NODE_ENV'] ??= 'production';
// The whole program, bundled by scripts/bundle.mjs (one file per entry point: start-up loads a few
// files instead of hundreds). A variable, so that TypeScript does not look for it before it is built.
const program = './app/main.js';
try {
	await import(program);
} catch (error) {
	// Loading the program opens files: under a very low `ulimit -n` it cannot even start.
	if ((error as NodeJS.ErrnoException).code !== 'EMFILE') throw error;
	process.stderr.write(
		'concurrency-top: too few open files allowed to start (ulimit -n): raise it to 1024 or more\n',
	);
	process.exit(2);
}
