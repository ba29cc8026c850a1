/**
 * Issue 27, point 7: the man page and the shell completions are written from the registry's
 * declarations, so every flag of every command is in both, and a flag added there is too.
 */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {COMMANDS, DASHBOARD} from '../source/commands/registry.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const MAN = fileURLToPath(new URL('../concurrency-top.1', import.meta.url));
const manifest = JSON.parse(
	readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'),
) as {man?: string};

const run = (...args: string[]) =>
	spawnSync(process.execPath, [CLI, ...args], {encoding: 'utf8', timeout: 10_000});

/** What bash offers after `concurrency-top WORDS… CURRENT<Tab>`. */
function bashOffers(words: readonly string[]): string[] {
	const script = run('completion', 'bash').stdout;
	const line = ['concurrency-top', ...words];
	const result = spawnSync(
		'bash',
		[
			'-c',
			`${script}\nCOMP_WORDS=(${line.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${line.length - 1}; _concurrency_top; printf '%s\\n' "\${COMPREPLY[@]}"`,
		],
		{encoding: 'utf8'},
	);
	assert.equal(result.status, 0, result.stderr);
	return result.stdout.split('\n').filter(Boolean);
}

test('7. bash completion offers the commands, then each command its own flags, from the declarations', () => {
	assert.deepEqual(
		bashOffers(['']).filter((word) => !word.startsWith('-')),
		COMMANDS.map((command) => command.name),
	);
	for (const command of COMMANDS) {
		const offered = bashOffers([command.name, '--']);
		for (const flag of command.flags)
			assert.ok(offered.includes(`--${flag.name}`), `${command.name} --${flag.name}`);
	}
	assert.deepEqual(bashOffers(['serve', '--control-t']), ['--control-token']);
	assert.deepEqual(bashOffers(['--no-c']), ['--no-color']);
});

test('7. zsh and fish completions name every flag; an unknown shell is one line, exit 2', () => {
	for (const shell of ['zsh', 'fish']) {
		const script = run('completion', shell);
		assert.equal(script.status, 0, script.stderr);
		for (const command of [DASHBOARD, ...COMMANDS]) {
			for (const flag of command.flags) {
				const form = shell === 'fish' ? `-l ${flag.name}` : `--${flag.name}`;
				assert.ok(script.stdout.includes(form), `${shell}: ${command.name} ${form}`);
			}
		}
	}
	const wrong = run('completion', 'tcsh');
	assert.equal(wrong.status, 2);
	assert.equal(
		wrong.stderr,
		'concurrency-top: completion needs a shell: bash, zsh or fish (got "tcsh")\n',
	);
});

test('7. the man page, listed in package.json, documents every command and flag and renders', () => {
	assert.equal(manifest.man, './dist/concurrency-top.1');
	const page = readFileSync(MAN, 'utf8');
	const rendered = spawnSync('man', ['-l', '-P', 'cat', MAN], {
		encoding: 'utf8',
		env: {...process.env, MANWIDTH: '80'},
	});
	assert.equal(rendered.status, 0, rendered.stderr);
	const text = rendered.stdout.replaceAll(new RegExp(`.${String.fromCodePoint(8)}`, 'g'), '');
	for (const command of [DASHBOARD, ...COMMANDS]) {
		if (command !== DASHBOARD) assert.match(page, new RegExp(`^\\.SS ${command.name}$`, 'm'));
		for (const flag of command.flags)
			assert.ok(text.includes(`--${flag.negatable ? 'no-' : ''}${flag.name}`), flag.name);
	}
	assert.match(text, /^NAME\n\s+concurrency-top\s+-\s+A live terminal dashboard/m);
});
