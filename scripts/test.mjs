/**
 * Runs the tests of one layer, or all of them, from the build in dist/ (run build-if-stale first):
 *
 *   node scripts/test.mjs unit|e2e|slow|all [--list]
 *
 * test/layers.mjs says which file is in which layer and which must run alone. Files run with Node's
 * test runner, two at a time (TEST_JOBS; one when CI is set), then the ALONE ones one at a time. A test file in no layer runs with
 * e2e, alone, and is named at the start and end of every run, so a test added without a layer is
 * never skipped. `--list` prints the files of each group and runs nothing. Exits 1 if any group failed.
 */
import {spawnSync} from 'node:child_process';
import {existsSync, readdirSync, statSync} from 'node:fs';
import path from 'node:path';
import console from 'node:console';
import process from 'node:process';
import {fileURLToPath, URL} from 'node:url';
import {ALONE, E2E, SLOW, UNIT} from '../test/layers.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const LAYERS = {unit: UNIT, e2e: E2E, slow: SLOW};
const ORDER = ['unit', 'e2e', 'slow'];

/** Every test file under test/, as a path relative to test/. */
function testFiles(dir = path.join(root, 'test')) {
	return readdirSync(dir)
		.sort()
		.flatMap((name) => {
			const file = path.join(dir, name);
			if (statSync(file).isDirectory()) return testFiles(file);
			return /\.test\.tsx?$/.test(name) ? [path.relative(path.join(root, 'test'), file)] : [];
		});
}

const compiled = (file) => path.join('dist', 'test', file.replace(/\.tsx?$/, '.js'));

const found = testFiles();
const listed = Object.values(LAYERS).flat();
const problems = [
	...listed.filter((file) => !found.includes(file)).map((file) => `${file} is listed but missing`),
	...listed
		.filter((file, i) => listed.indexOf(file) !== i)
		.map((file) => `${file} is in two layers`),
	...Object.keys(ALONE)
		.filter((file) => ![...E2E, ...SLOW].includes(file))
		.map((file) => `${file} is in ALONE but in no e2e or slow layer`),
];
if (problems.length > 0) {
	console.error(`test/layers.mjs: ${problems.join('; ')}`);
	process.exit(1);
}
const unassigned = found.filter((file) => !listed.includes(file));

const asked = process.argv[2];
if (!asked || !['all', ...ORDER].includes(asked)) {
	console.error('usage: node scripts/test.mjs unit|e2e|slow|all [--list]');
	process.exit(2);
}

function warnUnassigned() {
	if (unassigned.length === 0) return;
	console.error(
		`\n${unassigned.length} test file(s) in no layer of test/layers.mjs, run with e2e, one at a time:\n` +
			unassigned.map((file) => `  test/${file}\n`).join('') +
			'Add each to UNIT, E2E or SLOW (docs/testing.md says which).\n',
	);
}

/**
 * Files run at once outside ALONE: 2, or TEST_JOBS. With CI set, 1, as Playwright runs one worker
 * on CI: a red run blocks every change, and a 2-core runner running two e2e files at once has
 * nothing to spare for the timeouts of either (15 min one at a time in CI is well within its limit).
 */
const JOBS = Number(process.env.TEST_JOBS ?? (process.env.CI ? 1 : 2));
if (!Number.isInteger(JOBS) || JOBS < 1) {
	console.error(
		`TEST_JOBS must be a whole number of files at once, 1 or more: ${process.env.TEST_JOBS}`,
	);
	process.exit(2);
}

/** The groups of one layer: [files, concurrency]. */
function groups(layer) {
	const files = layer === 'e2e' ? [...E2E, ...unassigned] : LAYERS[layer];
	if (layer === 'unit') return [[files, JOBS]];
	const alone = (file) => file in ALONE || unassigned.includes(file);
	return [
		[files.filter((file) => !alone(file)), JOBS],
		[files.filter(alone), 1],
	];
}

const layers = asked === 'all' ? ORDER : [asked];
warnUnassigned();
if (process.argv.includes('--list')) {
	for (const layer of layers) {
		for (const [files, concurrency] of groups(layer))
			console.log(`${layer}, ${concurrency} at a time:\n${files.map((f) => `  ${f}\n`).join('')}`);
	}
	process.exit(0);
}

const failed = [];
const times = [];
for (const layer of layers) {
	for (const [files, concurrency] of groups(layer)) {
		if (files.length === 0) continue;
		const paths = files.map(compiled);
		const missing = paths.filter((file) => !existsSync(path.join(root, file)));
		if (missing.length > 0) {
			console.error(`not built: ${missing.join(', ')} (run npm run build)`);
			process.exit(1);
		}
		const label = `${layer}, ${files.length} file(s), ${concurrency} at a time`;
		console.log(`\n# ${label}`);
		const started = Date.now();
		const result = spawnSync(
			process.execPath,
			['--test', `--test-concurrency=${concurrency}`, ...paths],
			{cwd: root, stdio: 'inherit'},
		);
		const seconds = (Date.now() - started) / 1000;
		times.push(`${label}: ${seconds.toFixed(0)} s${result.status === 0 ? '' : ', FAILED'}`);
		if (result.status !== 0) failed.push(label);
	}
}
console.log(`\n${times.map((line) => `# ${line}`).join('\n')}`);
warnUnassigned();
process.exit(failed.length > 0 ? 1 : 0);
