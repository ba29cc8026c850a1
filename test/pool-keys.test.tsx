import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {Controller} from '../source/live/controller.js';
import {parseOptions} from '../source/options/options.js';
import {MODE_NAMES} from '../source/server/mode.js';
import {poolResizeRefusal} from '../source/server/pool-budget.js';
import {HostLine} from '../source/ui/panels/status-line.js';

// Issue 27, point 10: + and - outside the pool model refuse and say why, as hybrid does, and every
// such line is whole on an 80-column bottom line.

test('+ and - refuse in every model but pool, with a reason that fits 80 columns whole', () => {
	for (const mode of MODE_NAMES) {
		const why = poolResizeRefusal(mode);
		if (mode === 'pool') {
			assert.equal(why, null);
			continue;
		}
		assert.ok(why, mode);
		const {lastFrame, unmount} = render(<HostLine host={null} width={80} notice={why} />);
		assert.equal(lastFrame(), why, `${mode}: shown whole`);
		unmount();
	}
	assert.match(poolResizeRefusal('hybrid')!, /min\(50, cores \+ 4\)/);
	assert.match(poolResizeRefusal('thread')!, /^thread has no pool/);
});

test('+ in the thread model is refused and leaves the pool size as it was', async () => {
	const controller = new Controller(
		parseOptions({mode: 'thread', port: '0', clients: '0', poolSize: '4'}),
		{tickMs: 100, rollMs: 500, procMs: 500, hostMs: 5000},
	);
	await controller.start();
	try {
		const result = await controller.dispatch({type: 'resize-pool', by: 1});
		assert.deepEqual(result, {ok: false, why: poolResizeRefusal('thread')});
		assert.equal(controller.snapshot.server.settings.poolSize, 4);
	} finally {
		await controller.stop();
	}
});
