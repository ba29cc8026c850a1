#!/usr/bin/env node
// React and Ink run their development builds unless told otherwise, several times slower per frame.
// Set before anything imports them, which is why the program itself is loaded afterwards.
process.env['NODE_ENV'] ??= 'production';
try {
	await import('./source/main.js');
} catch (error) {
	// Loading the program opens many files at once: under a very low `ulimit -n` it cannot even start.
	if ((error as NodeJS.ErrnoException).code !== 'EMFILE') throw error;
	process.stderr.write(
		'concurrency-top: too few open files allowed to start (ulimit -n): raise it to 1024 or more\n',
	);
	process.exit(2);
}
