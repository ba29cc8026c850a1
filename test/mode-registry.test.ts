import assert from 'node:assert/strict';
import {test} from 'node:test';
import {SERVER_FLAGS} from '../source/commands/flags.js';
import {opinionLines, TEXT_MARK} from '../source/compare/layout.js';
import {MODE_NAMES} from '../source/server/mode.js';
import {MODES, modeKey} from '../source/server/modes/index.js';
import {commandFor, KEY_HELP, KEY_HINTS} from '../source/ui/keys.js';
import {EIGHT_ROWS} from './compare-fixture.js';

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

// compare shows what the tutorial says of each model beside its measured row: from the entry, so a
// new model brings its words with it; a model it never mentions (cluster) says so, and no more.
test("mode registry: every model has the tutorial's words, and compare shows them on its row", () => {
	const lines = opinionLines(EIGHT_ROWS, 200);
	for (const name of MODE_NAMES) {
		const {tutorial} = MODES[name];
		const line = lines.find((candidate) => candidate.trimStart().startsWith(`${name} `));
		assert.ok(line, `${name}: a line in compare's tutorial block`);
		if (tutorial.from === 'absent') {
			// Nothing credited to a tutorial that never mentions the model (cluster).
			assert.match(line, new RegExp(`^ +${name} +not in tutorial$`));
			continue;
		}
		for (const words of [tutorial.scalability, tutorial.complexity, tutorial.bestFor]) {
			assert.match(words, /^[^\n]{2,30}$/, `${name}: the tutorial's words fit their column`);
		}
		assert.ok(
			tutorial.from === 'table' || tutorial.from === 'text',
			`${name}: where they come from`,
		);
		const mark = tutorial.from === 'text' ? TEXT_MARK : ' ';
		assert.ok(
			line.includes(`${mark}${tutorial.scalability}`) && line.includes(tutorial.bestFor),
			`${name}: ${line}`,
		);
	}
});
