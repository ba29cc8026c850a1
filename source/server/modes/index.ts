import {MODE_NAMES, type ModeEntry, type ModeName} from '../mode.js';
import {asyncMode} from './async.js';
import {clusterMode} from './cluster.js';
import {hybridMode, poolMode} from './pool.js';
import {processMode} from './process.js';
import {reactorMode} from './reactor.js';
import {sequentialMode} from './sequential.js';
import {threadMode} from './thread.js';

/**
 * The registry of models. Adding one: a file in this folder exporting its ModeEntry, its name in
 * MODE_NAMES (mode-names.ts, whose order gives the number keys) and its line here.
 */
export const MODES: Readonly<Record<ModeName, ModeEntry>> = {
	sequential: sequentialMode,
	async: asyncMode,
	thread: threadMode,
	pool: poolMode,
	process: processMode,
	reactor: reactorMode,
	hybrid: hybridMode,
	cluster: clusterMode,
};

/** The key that starts `mode`: its place in MODE_NAMES, from 1. */
export function modeKey(mode: ModeName): string {
	return String(MODE_NAMES.indexOf(mode) + 1);
}
