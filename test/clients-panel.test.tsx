/**
 * The `clients` command's live panel, drawn from the meter's view of a client process's report:
 * it says how many messages had no reply within the timeout (`late`), as the summary and the JSON do.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {ClientsMeter} from '../source/clients/meter.js';
import {NO_ERRORS} from '../source/server/protocol.js';
import {ClientsPanel} from '../source/ui/panels/clients.js';

test('clients panel: messages without a reply within the timeout show as late, with the timeout', () => {
	const meter = new ClientsMeter('127.0.0.1:7000', 0);
	meter.apply({
		type: 'report',
		clients: [
			{
				id: 1,
				local: '127.0.0.1:50000',
				phase: 'answered',
				lastRttMs: 1,
				connectedAt: 0,
				firstReplyMs: 2,
			},
		],
		rttMicros: [1000],
		errors: {...NO_ERRORS, timeouts: 1},
		connectsTotal: 1,
		messageTimeouts: 7,
	});
	const view = meter.view(1000);
	assert.equal(view.errors.messageTimeouts, 7, 'the figure the panel draws');
	const {lastFrame, unmount} = render(<ClientsPanel view={view} width={80} timeoutMs={2500} />);
	const lines = lastFrame()!.split('\n');
	unmount();
	assert.ok(
		lines.some((line) => /^│?\s*late\s+7 messages without a reply within 2\.5s\s*│?$/.test(line)),
		lines.join('\n'),
	);
	// Connect timeouts are another figure, on the errors line.
	assert.ok(lines.some((line) => /errors .*timeouts 1 /.test(line)));
	for (const line of lines) assert.ok([...line].length <= 80, line);
});
