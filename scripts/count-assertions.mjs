/**
 * Counts the assertions written in the tests: every `assert.<method>(` and bare `assert(` call (with or
 * without `t.` before it) in every file under test/, helpers and fixtures included, none excluded.
 * Prints one line per file and the total; `--total` prints the total alone. Used to check that a
 * change to the suite keeps at least as many assertions as before (issue 28).
 */
import {readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import console from 'node:console';
import process from 'node:process';
import {fileURLToPath, URL} from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const CALL = /\bassert(?:\.[A-Za-z]+)?\s*\(/g;

function files(dir) {
	return readdirSync(dir)
		.sort()
		.flatMap((name) => {
			const file = path.join(dir, name);
			if (statSync(file).isDirectory()) return files(file);
			return /\.(?:ts|tsx|mjs|js)$/.test(name) ? [file] : [];
		});
}

let total = 0;
const lines = [];
for (const file of files(path.join(root, 'test'))) {
	const count = (readFileSync(file, 'utf8').match(CALL) ?? []).length;
	total += count;
	if (count > 0) lines.push(`${String(count).padStart(5)}  ${path.relative(root, file)}`);
}
if (process.argv.includes('--total')) console.log(total);
else console.log([...lines, `${String(total).padStart(5)}  total`].join('\n'));
