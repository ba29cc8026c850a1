#!/usr/bin/env node
/* global console */
/**
 * Prints one real frame of the dashboard as text, for the readme: runs the built CLI in a
 * pseudo-terminal of 80x24 (node-pty), lets it run with some test clients, and reads the screen
 * back through a headless xterm (scripts/capture.mjs). Needs `npm run build` first and the dev
 * dependencies.
 *
 *   node scripts/capture-frame.mjs [--seconds 4] [--clients 5] [--mode async] [--rate 2]
 *                                  [--cols 80] [--rows 24] [-- more dashboard flags]
 *
 * With --watch, a frame of `watch` instead: what follows -- is what to watch, as in
 *   node scripts/capture-frame.mjs --watch --clients 14 -- --handler upper -- python3 examples/python/pool_server.py --port 0
 *
 * --keys KEYS types KEYS halfway through (`--keys t`: the frame of the threads view).
 */
import {captureOptions, captureScreen} from './capture.mjs';

const screen = await captureScreen(captureOptions(), (buffer, {rows}) =>
	Array.from(
		{length: rows},
		(_, row) => buffer.getLine(buffer.viewportY + row)?.translateToString(true) ?? '',
	),
);
console.log(screen.join('\n').trimEnd());
