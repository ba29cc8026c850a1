import assert from 'node:assert/strict';
import {PassThrough} from 'node:stream';
import {test} from 'node:test';
import {render} from '#ink';
import {CompareApp} from '../source/compare/app.js';
import type {CompareAction, CompareSession} from '../source/compare/session.js';
import {EIGHT_ROWS} from './compare-fixture.js';
import {waitFor} from './helpers/net.js';
import {render as renderTest} from 'ink-testing-library';
import {ModelRow} from '../source/compare/rows.js';
import {unavailable} from '../source/metrics/source.js';
import {parseOptions} from '../source/options/options.js';
import {Dashboard} from '../source/ui/layout.js';
import {SEQUENTIAL_SNAPSHOT} from './helpers/snapshots.js';

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

test("compare: a row's dashboard keeps the row's model (1-8, m, p refused, saying so) and its bottom line says Esc goes back", async () => {
	const row = new ModelRow({kind: 'model', name: 'pool', mode: 'pool'}, parseOptions({}), () => {});
	const {capabilities} = row.dashboard;
	for (const action of [
		{type: 'set-mode', mode: 'async'},
		{type: 'next-mode'},
		{type: 'toggle-placement'},
	] as const)
		assert.match(unavailable(action, capabilities) ?? '', /keeps this row pool/);
	assert.equal(unavailable({type: 'add-clients', count: 1}, capabilities), null);
	const {lastFrame, unmount} = renderTest(
		<Dashboard snapshot={SEQUENTIAL_SNAPSHOT} columns={100} rows={30} fromCompare />,
	);
	const frame = lastFrame()!;
	unmount();
	assert.match(frame, /Esc compare q quit/);
	assert.doesNotMatch(frame, /1-8 model/);
	await row.stop();
});
