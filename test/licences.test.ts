/**
 * Issue 27, point 6: every bundled package's licence with its copyright line, NOTICE files included
 * (es-toolkit's Lodash notice), and no dead code shipped: Ink's React-devtools module, which pulled
 * in `ws`, runs only with DEV=true and is left out.
 */
import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';

const APP = fileURLToPath(new URL('../app', import.meta.url));
const SEPARATOR = `\n${'-'.repeat(72)}\n`;

test('6. every bundled licence names its copyright holder, NOTICE files are kept, and ws is not shipped', () => {
	const text = readFileSync(path.join(APP, 'THIRD-PARTY-LICENSES.txt'), 'utf8');
	const sections = text.split(SEPARATOR);
	assert.ok(sections.length > 20, `${sections.length} sections`);
	const bare = sections
		.filter((section) => !/copyright/i.test(section))
		.map((section) => section.trim().split('\n')[0]);
	assert.deepEqual(bare, [], 'licences with no copyright line');
	const toolkit = sections.find((section) => section.includes('es-toolkit@'));
	assert.match(toolkit ?? '', /derived from Lodash/);
	assert.ok(!sections.some((section) => /^\s*(Packages.*\n\n)?ws@/.test(section)), 'ws is bundled');
	for (const file of readdirSync(APP).filter((name) => /\.c?js$/.test(name))) {
		const code = readFileSync(path.join(APP, file), 'utf8');
		assert.ok(!code.includes('node_modules/ws/'), `${file} carries ws`);
	}
});

test("meow's section carries the licences of what meow bundled (yargs-parser and the rest, its build/licenses.md)", () => {
	const text = readFileSync(path.join(APP, 'THIRD-PARTY-LICENSES.txt'), 'utf8');
	const meow = text.split(SEPARATOR).find((section) => /^\s*meow@/.test(section)) ?? '';
	const inMeow = readFileSync(
		fileURLToPath(new URL('../../node_modules/meow/build/licenses.md', import.meta.url)),
		'utf8',
	);
	const names = [...inMeow.matchAll(/^Name: (\S+)$/gm)].map((match) => match[1]!);
	assert.ok(names.includes('yargs-parser'), names.join(', '));
	for (const name of names)
		assert.ok(meow.includes(`Name: ${name}\n`), `${name} in meow's section`);
	assert.match(meow, /Copyright \(c\) 2016, Contributors/);
});
