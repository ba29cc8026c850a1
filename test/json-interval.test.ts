/**
 * `--json --interval 0.2`: a line every 0.2 s. In a file of its own, run alone (test/layers.mjs):
 * the median gap between lines is a time. The rest of the command line: command-line.test.ts.
 */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {createInterface} from 'node:readline';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

test('--interval 0.2: five lines a second, and the rates still per second', async () => {
	const child = spawn(
		process.execPath,
		[CLI, '--json', '--interval', '0.2', '--port', '0', '--clients', '2', '--rate', '20'],
		{stdio: ['ignore', 'pipe', 'pipe']},
	);
	try {
		const times: number[] = [];
		let fastest = 0;
		for await (const line of createInterface({input: child.stdout!})) {
			const snapshot = JSON.parse(line) as {
				time: string;
				traffic: {messagesInPerSec: number};
			};
			times.push(Date.parse(snapshot.time));
			fastest = Math.max(fastest, snapshot.traffic.messagesInPerSec);
			if (times.length >= 16) break;
		}
		const gaps = times
			.slice(1)
			.map((time, index) => time - times[index]!)
			.sort((a, b) => a - b);
		const median = gaps[Math.floor(gaps.length / 2)]!;
		assert.ok(median >= 150 && median < 600, `median gap ${median} ms`);
		// 2 clients at 20/s: 40 messages a second; per 0.2 s window it would read 8.
		assert.ok(fastest > 20, `fastest ${fastest} messages/s`);
	} finally {
		child.kill('SIGKILL');
	}
});
