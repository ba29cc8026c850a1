/**
 * An install that is quiet. No `prepare` (npm warned about it on every install,
 * and `npm pack` built twice); every dependency with install scripts is named in `allowScripts`, so
 * npm has nothing to warn about; `npm test` builds only when a source is newer than the build, so
 * `npm ci && npm test` in a fresh clone builds once, and a second `npm test` not at all.
 */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
type Manifest = {
	scripts: Record<string, string>;
	allowScripts?: Record<string, boolean>;
};
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;

test('4. no prepare script; npm test and npm start build only what is stale', () => {
	assert.equal(manifest.scripts.prepare, undefined, 'prepare builds on every install');
	assert.match(manifest.scripts.test!, /^node scripts\/build-if-stale\.mjs && /);
	assert.doesNotMatch(manifest.scripts.test!, /npm run build/);
	assert.ok(manifest.scripts.prepack, 'npm pack still builds');
	// The build these tests run from is fresh: building again would be skipped, and says nothing.
	const again = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build-if-stale.mjs')], {
		cwd: ROOT,
		encoding: 'utf8',
	});
	assert.equal(again.status, 0, again.stderr);
	assert.equal(again.stderr, '', 'a fresh build was rebuilt');
});

test('4. every installed dependency with install scripts is named in allowScripts', () => {
	const modules = path.join(ROOT, 'node_modules');
	const packages = readdirSync(modules).flatMap((name) =>
		name.startsWith('@')
			? readdirSync(path.join(modules, name)).map((inner) => `${name}/${inner}`)
			: [name],
	);
	const withScripts = packages.filter((name) => {
		const file = path.join(modules, name, 'package.json');
		if (!existsSync(file)) return false;
		const {scripts = {}} = JSON.parse(readFileSync(file, 'utf8')) as {
			scripts?: Record<string, string>;
		};
		return ['preinstall', 'install', 'postinstall'].some((hook) => scripts[hook] !== undefined);
	});
	assert.ok(withScripts.length > 0, 'esbuild and node-pty have install scripts');
	const allowed = Object.keys(manifest.allowScripts ?? {});
	assert.deepEqual(
		withScripts.filter((name) => !allowed.includes(name)),
		[],
		'npm warns about these on every install',
	);
});
