import type {ModeFactory, ModeName} from '../mode.js';
import {createAsyncMode} from './async.js';
import {createSequentialMode} from './sequential.js';

export const MODE_FACTORIES: Readonly<Record<ModeName, ModeFactory>> = {
	sequential: createSequentialMode,
	async: createAsyncMode,
};
