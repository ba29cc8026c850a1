import assert from 'node:assert/strict';
import {test} from 'node:test';
import {SERVER_FLAGS} from '../source/commands/flags.js';
import {MODE_NAMES} from '../source/server/mode.js';
import {MODES, modeKey} from '../source/server/modes/index.js';
import {commandFor, KEY_HELP, KEY_HINTS} from '../source/ui/keys.js';

// Adding a model is one file in source/server/modes/ plus its registration: everything the
// program says or does about a model comes from its registry entry and its place in MODE_NAMES.
test('mode registry: every model has its key, help text, summary and fd cost from its entry', () => {
	assert.deepEqual(Object.keys(MODES).sort(), [...MODE_NAMES].sort(), 'one entry per model name');
	assert.ok(MODE_NAMES.length <= 9, 'a number key per model');
	const modeHelp = SERVER_FLAGS.find((flag) => flag.name === 'mode')!.help;
	const keyHelp = KEY_HELP.map(([, what]) => what).join('  ');
	for (const name of MODE_NAMES) {
		const entry = MODES[name];
		assert.equal(typeof entry.create, 'function', `${name}: a factory`);
		assert.match(entry.summary, /^[^\n]{10,80}$/, `${name}: a one-line summary`);
		assert.ok(Number.isInteger(entry.fdCost) && entry.fdCost >= 1, `${name}: fd cost`);
		const key = modeKey(name);
		assert.deepEqual(
			commandFor({kind: 'text', text: key}),
			{type: 'action', action: {type: 'set-mode', mode: name}},
			`${name}: key ${key} starts it`,
		);
		assert.ok(keyHelp.includes(`${key} ${name}`), `${name}: the help overlay names key ${key}`);
		assert.ok(modeHelp.includes(`${name.padEnd(11)} ${entry.summary}`), `${name}: --help`);
	}
	assert.ok(KEY_HINTS.includes(`1-${MODE_NAMES.length} model`));
	assert.equal(new Set(MODE_NAMES.map(modeKey)).size, MODE_NAMES.length, 'keys differ');
});
