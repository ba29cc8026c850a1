import assert from 'node:assert/strict';
import {test} from 'node:test';
import {ESCAPE_WAIT_MS, KeyReader, type KeyPress} from '../../source/terminal/input.js';
import {sleep} from '../helpers/net.js';

const ESC = '\u001B';

/** The keys `chunks` give, read in that order. */
function read(...chunks: string[]): KeyPress[] {
	const keys: KeyPress[] = [];
	const reader = new KeyReader((key) => keys.push(key));
	for (const chunk of chunks) reader.push(chunk);
	reader.flush();
	return keys;
}

const text = (value: string): KeyPress[] => [...value].map((char) => ({kind: 'text', text: char}));

/** What terminals send that is not a key, each with what a byte-by-byte reader would have seen. */
const NOT_KEYS = {
	'SGR mouse wheel': `${ESC}[<64;20;5M`,
	'SGR mouse click and release': `${ESC}[<0;12;3M${ESC}[<0;12;3m`,
	'X10 mouse report': `${ESC}[M !!`,
	'X10 mouse report with digits as coordinates': `${ESC}[M 12`,
	'unknown CSI with a final letter': `${ESC}[99;8x`,
	'focus in and out': `${ESC}[I${ESC}[O`,
	'OSC colour reply (BEL)': `${ESC}]11;rgb:0000/0000/0000\u0007`,
	'OSC colour reply (ST)': `${ESC}]10;rgb:ffff/ffff/ffff${ESC}\\`,
	'DCS reply': `${ESC}P1+r544e=787465726d${ESC}\\`,
	'APC reply': `${ESC}_Gi=1;OK${ESC}\\`,
	'C1 CSI': '\u009B<64;1;1M',
	'Linux console F1': `${ESC}[[A`,
	'F5 (CSI 15~)': `${ESC}[15~`,
	'Alt-1': `${ESC}1`,
	'bracketed paste markers around nothing': `${ESC}[200~${ESC}[201~`,
};

for (const [name, sequence] of Object.entries(NOT_KEYS)) {
	test(`${name} is no key, whole or split at any byte`, () => {
		assert.deepEqual(read(sequence, 'j'), text('j'));
		for (let cut = 1; cut < sequence.length; cut++) {
			assert.deepEqual(
				read(sequence.slice(0, cut), sequence.slice(cut) + 'j'),
				text('j'),
				`split after ${cut}: ${JSON.stringify(sequence.slice(0, cut))}`,
			);
		}
	});
}

test('keys: every character of a chunk counts; arrows, paging, Home/End in CSI and SS3 forms', () => {
	assert.deepEqual(read('jjjjjjjjjj'), text('jjjjjjjjjj'));
	const names = (...chunks: string[]) =>
		read(...chunks).map((key) => (key.kind === 'key' ? key.name : key.kind));
	assert.deepEqual(names(`${ESC}[A${ESC}[B${ESC}OA${ESC}OB${ESC}[1;5A`), [
		'up',
		'down',
		'up',
		'down',
		'up',
	]);
	assert.deepEqual(names(`${ESC}[5~${ESC}[6~${ESC}[H${ESC}[F${ESC}[1~${ESC}[4~${ESC}OH`), [
		'page-up',
		'page-down',
		'home',
		'end',
		'home',
		'end',
		'home',
	]);
	assert.deepEqual(names('\r\u007F\t'), ['return', 'backspace', 'tab']);
	assert.deepEqual(read('\u0003\u001A'), [
		{kind: 'ctrl', letter: 'c'},
		{kind: 'ctrl', letter: 'z'},
	]);
});

test('a lone ESC is Escape, at the end of a chunk or between keys; ESC ESC is two', () => {
	const escape: KeyPress = {kind: 'key', name: 'escape'};
	assert.deepEqual(read(ESC), [escape]);
	assert.deepEqual(read(`${ESC}${ESC}`), [escape, escape]);
	assert.deepEqual(read('/', ESC), [...text('/'), escape]);
});

test('a lone ESC becomes Escape by itself once no more input follows', async () => {
	const keys: KeyPress[] = [];
	const reader = new KeyReader((key) => keys.push(key));
	reader.push(ESC);
	assert.deepEqual(keys, []);
	await sleep(ESCAPE_WAIT_MS + 30);
	assert.deepEqual(keys, [{kind: 'key', name: 'escape'}]);
	reader.dispose();
});

test('bracketed paste: the text comes as a paste, never as keys, control characters dropped', () => {
	const paste = `${ESC}[200~12mcx\u0003\r\nq${ESC}[201~`;
	const joined = (keys: KeyPress[]) =>
		keys.map((key) => (key.kind === 'paste' ? key.text : `<${key.kind}>`)).join('');
	assert.equal(joined(read(paste, 'j')), '12mcxq<text>');
	for (let cut = 1; cut < paste.length; cut++) {
		assert.equal(joined(read(paste.slice(0, cut), paste.slice(cut), 'j')), '12mcxq<text>');
	}
});

test('held input is bounded: a sequence that never ends is dropped, a long reply kept in no buffer', () => {
	assert.deepEqual(read(`${ESC}[${'1;'.repeat(100)}`, 'j'), text('j'));
	const reply = `${ESC}]11;${'x'.repeat(100_000)}\u0007`;
	assert.deepEqual(read(reply.slice(0, 50_000), reply.slice(50_000), 'j'), text('j'));
});
