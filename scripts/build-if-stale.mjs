/**
 * Builds only when a source is newer than the build: `npm start` and `npm test` run this, so a fresh
 * clone builds once (after `npm ci`, which no longer builds: there is no `prepare`) and a second run
 * starts at once. Run directly, it builds if needed and exits.
 */
import {spawnSync} from 'node:child_process';
import {readdirSync, statSync} from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import {fileURLToPath, URL} from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** What the build reads; a change to any of them makes the build stale. */
const INPUTS = [
	'cli.tsx',
	'source',
	'bench',
	'test',
	'package.json',
	'tsconfig.json',
	'scripts/bundle.mjs',
];
/** What the build writes last (tsc first, then the bundle). */
const BUILT = path.join(root, 'dist', 'app', 'main.js');

/** The newest modification time under `file`, in ms (0 when it does not exist). */
function newest(file) {
	let stat;
	try {
		stat = statSync(file);
	} catch {
		return 0;
	}
	if (!stat.isDirectory()) return stat.mtimeMs;
	let latest = stat.mtimeMs;
	for (const name of readdirSync(file)) latest = Math.max(latest, newest(path.join(file, name)));
	return latest;
}

const built = newest(BUILT);
const sources = Math.max(...INPUTS.map((input) => newest(path.join(root, input))));
if (built === 0 || sources > built) {
	process.stderr.write(
		`concurrency-top: ${built === 0 ? 'building' : 'sources changed, rebuilding'}…\n`,
	);
	const result = spawnSync('npm', ['run', '--silent', 'build'], {cwd: root, stdio: 'inherit'});
	if (result.status !== 0) process.exit(result.status ?? 1);
}
