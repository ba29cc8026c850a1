import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs';
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

test('the packed tarball, installed alone into an empty folder, runs with npx', async (t) => {
	const folder = mkdtempSync(path.join(os.tmpdir(), 'ct-pack-'));
	try {
		const packed = JSON.parse(
			npm(['pack', '--json', '--pack-destination', folder], ROOT).replace(/^[^[]*/, ''),
		) as [{filename: string; files: {path: string}[]; size: number}];
		const files = packed[0].files.map((file) => file.path);
		assert.ok(files.includes('dist/cli.js'));
		assert.ok(files.includes('package.json'));
		for (const file of files) {
			assert.match(
				file,
				/^(dist\/.+\.js|package\.json|readme\.md|license|bench\/loadgen\.c)$/i,
				`${file} in the package`,
			);
			assert.doesNotMatch(file, /^dist\/test\//, 'no tests in the package');
		}
		const app = path.join(folder, 'app');
		mkdirSync(app);
		writeFileSync(path.join(app, 'package.json'), '{"private": true}\n');
		npm(
			['install', '--omit=dev', '--no-audit', '--no-fund', path.join(folder, packed[0].filename)],
			app,
		);
		const modules = readdirSync(path.join(app, 'node_modules'));
		for (const dev of ['typescript', 'eslint', 'prettier', 'node-pty', '@xterm', 'tsx', 'ts-node'])
			assert.ok(!modules.includes(dev), `${dev} is not installed`);
		assert.ok(
			!existsSync(path.join(app, 'node_modules/concurrency-top/source')),
			'no TypeScript sources',
		);
		t.diagnostic(
			`tarball ${(packed[0].size / 1024).toFixed(1)} KB; installed node_modules ${(sizeKb(path.join(app, 'node_modules')) / 1024).toFixed(1)} MB`,
		);

		const npx = (...args: string[]) =>
			spawnSync('npx', ['--no-install', 'concurrency-top', ...args], {
				cwd: app,
				encoding: 'utf8',
				timeout: 30_000,
			});
		const version = npx('--version');
		assert.equal(version.status, 0, version.stderr);
		assert.equal(version.stdout.trim(), '0.1.0');
		const help = npx('--help');
		assert.equal(help.status, 0, help.stderr);
		assert.match(help.stdout, /Usage\n\s+\$ concurrency-top/);
		assert.match(help.stdout, /concurrency-top serve/);

		const child = spawn(
			path.join(app, 'node_modules/.bin/concurrency-top'),
			['--json', '--port', '0', '--clients', '1'],
			{cwd: app, stdio: ['ignore', 'pipe', 'pipe']},
		);
		const [line] = (await Promise.race([
			once(createInterface({input: child.stdout}), 'line'),
			new Promise((_, reject) => setTimeout(() => reject(new Error('no JSON line')), 15_000)),
		])) as [string];
		const json = JSON.parse(line) as {mode: string; port: number};
		assert.equal(json.mode, 'async');
		assert.ok(json.port > 0);
		const exited = once(child, 'exit');
		child.kill('SIGTERM');
		assert.deepEqual(await exited, [0, null]);
	} finally {
		rmSync(folder, {recursive: true, force: true});
	}
});
