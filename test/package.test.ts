import assert from 'node:assert/strict';
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {createInterface} from 'node:readline';
import {once} from 'node:events';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function npm(args: string[], cwd: string) {
	const result = spawnSync('npm', args, {cwd, encoding: 'utf8', timeout: 180_000});
	assert.equal(result.status, 0, `npm ${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
	return result.stdout;
}

function sizeKb(folder: string): number {
	const result = spawnSync('du', ['-sk', folder], {encoding: 'utf8'});
	return Number(result.stdout.split('\t')[0]);
}

/** Limits the package test holds the package to (installed at most 12 MB). */
const TARBALL_LIMIT_KB = 1024;
const INSTALLED_LIMIT_MB = 12;

/** The first JSON line of `child` that `accept` takes, or an error after `timeoutMs`. */
async function lineWhere<T>(
	child: ChildProcess,
	accept: (value: T) => boolean,
	timeoutMs: number,
): Promise<T> {
	const lines = createInterface({input: child.stdout!});
	const found = (async () => {
		for await (const line of lines) {
			const value = JSON.parse(line) as T;
			if (accept(value)) return value;
		}
		throw new Error('the program ended first');
	})();
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no such JSON line in ${timeoutMs} ms`)), timeoutMs);
	});
	try {
		return await Promise.race([found, timeout]);
	} finally {
		clearTimeout(timer);
		lines.close();
	}
}

test('the packed tarball, installed alone into an empty folder, runs with npx', async (t) => {
	const folder = mkdtempSync(path.join(os.tmpdir(), 'ct-pack-'));
	try {
		// The build `npm test` made just before (build-if-stale), packed as it is: without
		// --ignore-scripts, prepack would build dist/ again under every test running beside this one.
		const packed = JSON.parse(
			npm(['pack', '--ignore-scripts', '--json', '--pack-destination', folder], ROOT).replace(
				/^[^[]*/,
				'',
			),
		) as [{filename: string; files: {path: string}[]; size: number}];
		const files = packed[0].files.map((file) => file.path);
		assert.ok(files.includes('dist/cli.js'));
		assert.ok(files.includes('dist/app/main.js'));
		assert.ok(files.includes('package.json'));
		assert.ok(files.includes('LICENSE'));
		// The JSON Schema of each command's output, for those who script against it.
		for (const name of ['dashboard', 'compare', 'clients', 'bench'])
			assert.ok(files.includes(`schemas/${name}.schema.json`), name);
		for (const file of files) {
			assert.match(
				file,
				/^(dist\/cli\.js|dist\/concurrency-top\.1|dist\/app\/[\w-]+\.c?js|dist\/app\/THIRD-PARTY-LICENSES\.txt|package\.json|readme\.md|LICENSE|bench\/loadgen\.c|schemas\/\w+\.schema\.json|examples\/python\/[\w-]+\.py)$/,
				`${file} in the package`,
			);
		}
		const app = path.join(folder, 'app');
		mkdirSync(app);
		writeFileSync(path.join(app, 'package.json'), '{"private": true}\n');
		const tarball = path.join(folder, packed[0].filename);
		npm(['install', '--omit=dev', '--no-audit', '--no-fund', tarball], app);
		// Everything it runs is bundled: nothing but the package itself is installed.
		const modules = readdirSync(path.join(app, 'node_modules')).filter(
			(name) => !name.startsWith('.'),
		);
		assert.deepEqual(modules, ['concurrency-top']);
		const tarballKb = packed[0].size / 1024;
		const installedMb = sizeKb(path.join(app, 'node_modules')) / 1024;
		t.diagnostic(
			`tarball ${tarballKb.toFixed(1)} KB (limit ${TARBALL_LIMIT_KB}); installed with --omit=dev ${installedMb.toFixed(1)} MB (limit ${INSTALLED_LIMIT_MB})`,
		);
		assert.ok(tarballKb <= TARBALL_LIMIT_KB, `tarball ${tarballKb.toFixed(1)} KB`);
		assert.ok(installedMb <= INSTALLED_LIMIT_MB, `installed ${installedMb.toFixed(1)} MB`);

		const bin = path.join(app, 'node_modules/.bin/concurrency-top');
		const run = (...args: string[]) =>
			spawnSync(bin, args, {cwd: app, encoding: 'utf8', timeout: 60_000});
		const npx = spawnSync('npx', ['--no-install', 'concurrency-top', '--version'], {
			cwd: app,
			encoding: 'utf8',
			timeout: 30_000,
		});
		assert.equal(npx.status, 0, npx.stderr);
		assert.equal(npx.stdout.trim(), '0.1.0');
		// The form the readme gives for running it before it is published: a relative path.
		const fromTarball = spawnSync('npx', ['--yes', `./${packed[0].filename}`, '--version'], {
			cwd: folder,
			encoding: 'utf8',
			timeout: 60_000,
		});
		assert.equal(fromTarball.status, 0, fromTarball.stderr);
		assert.equal(fromTarball.stdout.trim(), '0.1.0');
		const help = run('--help');
		assert.equal(help.status, 0, help.stderr);
		assert.match(help.stdout, /Usage\n\s+\$ concurrency-top/);
		assert.match(help.stdout, /concurrency-top serve/);

		// Each file a thread or a child process starts is found in the bundle: a thread per client,
		// and a process per client inside a server process, both with the test-client process.
		for (const args of [
			['--mode', 'thread'],
			['--mode', 'process', '--placement', 'worker'],
		]) {
			const child = spawn(
				bin,
				['--json', '--port', '0', '--clients', '2', '--rate', '20', ...args],
				{
					cwd: app,
					stdio: ['ignore', 'pipe', 'pipe'],
				},
			);
			try {
				await lineWhere<{connections: {active: number}; latency: {samples: number}}>(
					child,
					(json) => json.connections.active === 2 && json.latency.samples > 0,
					30_000,
				);
				const exited = once(child, 'exit');
				child.kill('SIGTERM');
				assert.deepEqual(await exited, [0, null], args.join(' '));
			} finally {
				child.kill('SIGKILL');
			}
		}

		const bench = run(
			...['bench', '--modes', 'async', '--clients', '2', '--workloads', 'echo'],
			...['--duration', '0.3', '--json'],
		);
		assert.equal(bench.status, 0, bench.stderr);
		assert.ok(JSON.parse(bench.stdout), 'bench prints its JSON from the bundle');
		const dashboard = run('bench', '--scenario', 'dashboard');
		assert.equal(dashboard.status, 2, dashboard.stderr);
		assert.match(dashboard.stderr, /^concurrency-top: bench --scenario dashboard needs node-pty/);
		assert.equal(dashboard.stderr.trim().split('\n').length, 1, dashboard.stderr);
	} finally {
		rmSync(folder, {recursive: true, force: true});
	}
});

test('npm start does not build again when the build is current', () => {
	const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts/start.mjs'), '--version'], {
		cwd: ROOT,
		encoding: 'utf8',
		timeout: 30_000,
	});
	assert.equal(result.status, 0, result.stderr);
	assert.equal(result.stdout.trim(), '0.1.0');
	assert.doesNotMatch(result.stderr, /building/, 'npm test built just before');
});
