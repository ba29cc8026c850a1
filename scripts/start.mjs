/**
 * `npm start`: builds only when a source is newer than the build (build-if-stale.mjs), then runs
 * the program in this same process (no second Node start). Building on every start took 28 s on a
 * busy machine.
 *
 * `npm start -- --mode pool` passes the flags through: the program reads process.argv as its own.
 */
import path from 'node:path';
import {fileURLToPath, pathToFileURL, URL} from 'node:url';
import './build-if-stale.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
await import(pathToFileURL(path.join(root, 'dist', 'cli.js')).href);
