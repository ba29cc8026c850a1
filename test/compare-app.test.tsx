import assert from 'node:assert/strict';
import {PassThrough} from 'node:stream';
import {test} from 'node:test';
import {render} from '#ink';
import {CompareApp} from '../source/compare/app.js';
import type {CompareAction, CompareSession} from '../source/compare/session.js';
import {EIGHT_ROWS} from './compare-fixture.js';
import {waitFor} from './helpers/net.js';

/** CompareApp on a session that only records what the keys ask, in a fake 100x30 terminal. */
function mount() {
	const actions: CompareAction[] = [];
	const session = {
		snapshot: EIGHT_ROWS,
		subscribe: () => () => {},
		dispatch: (action: CompareAction) => actions.push(action),
		dashboardOf: () => null,
		resync: () => {},
	} as unknown as CompareSession;
	const stdin = Object.assign(new PassThrough(), {
		isTTY: true,
		setRawMode: () => {},
		ref: () => {},
		unref: () => {},
	});
	let last = '';
	const stdout = Object.assign(new PassThrough(), {isTTY: true, columns: 100, rows: 30});
	stdout.on('data', (chunk: Buffer) => (last = chunk.toString()));
	const instance = render(<CompareApp session={session} ascii />, {
		stdin: stdin as unknown as NodeJS.ReadStream,
		stdout: stdout as unknown as NodeJS.WriteStream,
		debug: true,
		exitOnCtrlC: false,
		patchConsole: false,
	});
	return {actions, type: (keys: string) => stdin.write(keys), frame: () => last, instance};
}

test('compare: keys that arrive in one read are each carried out (ww, cc, jj), as the dashboard reads them', async () => {
	const {actions, type, frame, instance} = mount();
	try {
		type('ww');
		type('cc');
		await waitFor(
			() => actions.length === 4,
			() => `4 actions, got ${JSON.stringify(actions)}`,
		);
		assert.deepEqual(actions, [
			{type: 'work', direction: 1},
			{type: 'work', direction: 1},
			{type: 'add', count: 1},
			{type: 'add', count: 1},
		]);
		// The pointer starts on the first row; `jj` in one read moves it two rows down.
		type('jj');
		await waitFor(
			() =>
				frame()
					.split('\n')
					.some((line) => line.startsWith('> thread')),
			() => `the pointer on thread:\n${frame()}`,
		);
	} finally {
		instance.unmount();
	}
});
