import assert from 'node:assert/strict';
import {readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';

const SOURCE = fileURLToPath(new URL('../../source/', import.meta.url));

/**
 * The layers of source/, lowest first: a file may import from its own folder or from a folder listed
 * before it, never after (source/README.md says what each does). main.ts, the entry, sits on top.
 */
export const LAYERS = [
	'shared',
	'vendor',
	'terminal',
	'collectors',
	'server',
	'metrics',
	'clients',
	'options',
	'live',
	'remote',
	'ui',
	'watch',
	'compare',
	'bench',
	'commands',
] as const;

function sourceFiles(folder: string): string[] {
	return readdirSync(folder).flatMap((name) => {
		const full = path.join(folder, name);
		if (statSync(full).isDirectory()) return sourceFiles(full);
		return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
	});
}

/** The files of source/ that `file` imports (static, re-exported or dynamic), as paths in source/. */
function importsOf(file: string): string[] {
	const text = readFileSync(file, 'utf8');
	const specifiers = [
		...text.matchAll(/(?:from\s+|import\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm),
	].map((match) => match[1]!);
	return specifiers.map((specifier) => {
		const base = path.resolve(path.dirname(file), specifier).replace(/\.js$/, '');
		const found = ['.ts', '.tsx'].map((extension) => base + extension);
		const target = found.find((candidate) => {
			try {
				return statSync(candidate).isFile();
			} catch {
				return false;
			}
		});
		assert.ok(
			target,
			`${path.relative(SOURCE, file)} imports ${specifier}, which is not in source/`,
		);
		return path.relative(SOURCE, target);
	});
}

function graph(): Map<string, string[]> {
	return new Map(sourceFiles(SOURCE).map((file) => [path.relative(SOURCE, file), importsOf(file)]));
}

/** The layer's rank; main.ts (the entry) is above every layer. */
function rank(file: string): number {
	const folder = file.split(path.sep)[0]!;
	if (folder === file) return LAYERS.length;
	const at = (LAYERS as readonly string[]).indexOf(folder);
	assert.notEqual(
		at,
		-1,
		`source/${folder}/ is in no layer: add it to LAYERS and to source/README.md`,
	);
	return at;
}

test('source/ has no loose file but the entry, and every folder is a layer', () => {
	const loose = readdirSync(SOURCE).filter((name) => statSync(path.join(SOURCE, name)).isFile());
	assert.deepEqual(
		loose.filter((name) => name !== 'main.ts' && name !== 'README.md'),
		[],
	);
	for (const name of readdirSync(SOURCE)) {
		if (statSync(path.join(SOURCE, name)).isDirectory()) rank(`${name}/x.ts`);
	}
});

test('no import runs back up a layer', () => {
	const upward: string[] = [];
	for (const [file, imports] of graph()) {
		for (const target of imports) {
			const from = file.split(path.sep)[0];
			const to = target.split(path.sep)[0];
			if (from !== to && rank(target) >= rank(file)) upward.push(`${file} -> ${target}`);
		}
	}
	assert.deepEqual(upward, []);
});

test('the import graph of source/ has no cycle', () => {
	const imports = graph();
	const done = new Set<string>();
	const cycles: string[] = [];
	const visit = (file: string, trail: string[]) => {
		const at = trail.indexOf(file);
		if (at !== -1) {
			cycles.push([...trail.slice(at), file].join(' -> '));
			return;
		}
		if (done.has(file)) return;
		for (const target of imports.get(file) ?? []) visit(target, [...trail, file]);
		done.add(file);
	};
	for (const file of imports.keys()) visit(file, []);
	assert.deepEqual(cycles, []);
});

test('the check sees an upward import and a cycle (it can fail)', () => {
	assert.ok(rank('ui/app.tsx') > rank('metrics/store.ts'));
	assert.ok(rank('main.ts') > rank('commands/registry.ts'));
	const imports = graph();
	assert.ok(
		imports.get('ui/app.tsx')?.some((target) => target.startsWith('metrics')),
		'ui/app.tsx imports from metrics/',
	);
});
