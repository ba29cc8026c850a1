import type {ModeFactory, ModeName} from '../mode.js';
import {createAsyncMode} from './async.js';
import {createClusterMode} from './cluster.js';
import {createHybridMode, createPoolMode} from './pool.js';
import {createProcessMode} from './process.js';
import {createReactorMode} from './reactor.js';
import {createSequentialMode} from './sequential.js';
import {createThreadMode} from './thread.js';

export const MODE_FACTORIES: Readonly<Record<ModeName, ModeFactory>> = {
	sequential: createSequentialMode,
	async: createAsyncMode,
	thread: createThreadMode,
	pool: createPoolMode,
	process: createProcessMode,
	reactor: createReactorMode,
	hybrid: createHybridMode,
	cluster: createClusterMode,
};
