import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {COMMANDS} from '../source/commands/registry.js';
import {KEY_HELP} from '../source/ui/keys.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(ROOT, 'dist', 'cli.js');

/** readme.md and every file in docs/, as one text; `1`–`8` read as the help overlay writes it. */
function documentation(): string {
	const docs = readdirSync(path.join(ROOT, 'docs'))
		.filter((name) => name.endsWith('.md'))
		.map((name) => readFileSync(path.join(ROOT, 'docs', name), 'utf8'));
	return [readFileSync(path.join(ROOT, 'readme.md'), 'utf8'), ...docs]
		.join('\n')
		.replaceAll(/`(\d)`–`(\d)`/g, '`$1-$2`');
}

/** The dashboard's --help, and every subcommand's from the registry: a new one is checked too. */
const HELPS: readonly (readonly string[])[] = [[], ...COMMANDS.map((command) => [command.name])];

for (const command of HELPS) {
	test(`every flag of \`${[...command, '--help'].join(' ')}\` is documented`, () => {
		const result = spawnSync(process.execPath, [CLI, ...command, '--help'], {
			encoding: 'utf8',
			timeout: 10_000,
		});
		assert.equal(result.status, 0, result.stderr);
		const flags = new Set(result.stdout.match(/--[a-z][a-z-]*[a-z]/g));
		// --help and --version at least (completion has no flags of its own).
		assert.ok(flags.size >= 2, `found flags in ${result.stdout}`);
		const text = documentation();
		const missing = [...flags].filter((flag) => !text.includes(`\`${flag}`));
		assert.deepEqual(missing, [], 'flags of --help not in readme.md or docs/*.md');
	});
}

test('every key of the help overlay is documented', () => {
	const text = documentation();
	const keys = KEY_HELP.flatMap(([keys]) => keys.split(/\s+/));
	const missing = keys.filter((key) => !text.includes(`\`${key}\``));
	assert.deepEqual(missing, [], 'keys of the help overlay not in readme.md or docs/*.md');
});
