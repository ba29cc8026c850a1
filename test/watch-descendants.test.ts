import assert from 'node:assert/strict';
import {once} from 'node:events';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {test} from 'node:test';
import {waitFor} from './helpers/net.js';
import {isAlive} from './helpers/servers.js';
import {missing, Watch} from './helpers/watch.js';

// Issue 24.6: `watch -- CMD` ends every process CMD started, also those that left its process
// group: a child that called setsid, a grandchild whose parent exited at once (a double fork), and
// a setsid'd child with an empty environment (found only because a reading saw it).

/**
 * An echo server that first starts three processes outside its group, each writing its pid to a
 * file of `dir`: `setsid` (a child in a session of its own), `double` (setsid'd, its parent exits at
 * once, so it is nobody's child of ours), `bare` (setsid'd, with an empty environment).
 */
function server(dir: string): string[] {
	const script = `
const {spawn} = require('node:child_process');
const fs = require('node:fs');
const dir = ${JSON.stringify(dir)};
const own = spawn('sleep', ['1000'], {detached: true, stdio: 'ignore'});
fs.writeFileSync(dir + '/setsid', String(own.pid));
spawn('/bin/sh', ['-c', 'setsid sleep 1001 & echo $! > "$0"/double', dir], {stdio: 'ignore'});
setTimeout(() => {
	const bare = spawn('/usr/bin/env', ['-i', 'sleep', '1002'], {detached: true, stdio: 'ignore', env: {}});
	fs.writeFileSync(dir + '/bare', String(bare.pid));
	require('node:net').createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
}, 100);
`;
	return ['--', process.execPath, '-e', script];
}

const pidsIn = (dir: string) =>
	['setsid', 'double', 'bare'].map((name) => {
		try {
			return Number(readFileSync(path.join(dir, name), 'utf8').trim()) || undefined;
		} catch {
			return undefined;
		}
	});

for (const how of ['quit', 'SIGKILL'] as const) {
	test(
		`watch -- CMD, then ${how === 'quit' ? 'a quit' : 'SIGKILL of watch'}: every descendant ends, also those that called setsid or double-forked`,
		{skip: missing ?? false},
		async () => {
			const dir = mkdtempSync(path.join(tmpdir(), 'ct-descendants-'));
			const watch = new Watch(server(dir));
			let pids: number[] = [];
			try {
				await watch.until((line) => (line.processes.count ?? 0) > 0, 'the server');
				pids = await waitFor(() => {
					const found = pidsIn(dir);
					return found.every((pid) => pid !== undefined && isAlive(pid)) && (found as number[]);
				}, 'the three processes outside the group');
				// A reading after they started, so the one with an empty environment has been seen.
				const seen = watch.lines.length;
				await watch.until(() => watch.lines.length > seen + 1, 'two more readings');
				if (how === 'quit') await watch.stop();
				else {
					const exited = once(watch.child, 'exit');
					watch.child.kill('SIGKILL');
					await exited;
				}
				await waitFor(
					() => pids.every((pid) => !isAlive(pid)),
					() => `${pids.filter(isAlive).join(' ')} still alive after the ${how}`,
					5000,
				);
			} finally {
				await watch.stop();
				for (const pid of pids) {
					try {
						process.kill(pid, 'SIGKILL');
					} catch {
						// Gone, as it should be.
					}
				}
				rmSync(dir, {recursive: true, force: true});
			}
			assert.ok(pids.length === 3);
		},
	);
}
