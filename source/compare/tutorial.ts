import type {ModeName} from '../server/mode.js';

/** What the tutorial (seed/handling-multiple-clients.md) says of a model: its opinion, beside our measurement. */
export type TutorialOpinion = {
	readonly scalability: string;
	readonly complexity: string;
	readonly bestFor: string;
	/** `table`: a row of the tutorial's comparison table; `text`: from its prose, the table has no row. */
	readonly from: 'table' | 'text';
};

const THREADING = {
	scalability: 'Medium (~100s)',
	complexity: 'Low',
	bestFor: 'I/O-bound, simple code',
};
const PROCESSES = {
	scalability: 'Medium',
	complexity: 'Medium',
	bestFor: 'CPU-bound, isolation needed',
};

/**
 * The tutorial's "Comparison" table, word for word, for the models it has a row for. The models it
 * only describes in prose (the sequential server, the pool, the hybrid) or not at all (cluster) carry
 * the nearest words of its text, marked `text`.
 */
export const TUTORIAL: Readonly<Record<ModeName, TutorialOpinion>> = {
	thread: {...THREADING, from: 'table'},
	process: {...PROCESSES, from: 'table'},
	async: {
		scalability: 'High (1000s+)',
		complexity: 'Medium',
		bestFor: 'I/O-bound, many connections',
		from: 'table',
	},
	reactor: {
		scalability: 'High',
		complexity: 'High',
		bestFor: 'Cross-platform, control needed',
		from: 'table',
	},
	sequential: {
		scalability: 'One at a time',
		complexity: 'Low',
		bestFor: 'Its issue: others wait',
		from: 'text',
	},
	pool: {
		scalability: 'Fixed (workers)',
		complexity: 'Low',
		bestFor: 'Better resource management',
		from: 'text',
	},
	hybrid: {
		scalability: 'min(50,cpus+4)',
		complexity: 'Low',
		bestFor: 'No resource exhaustion',
		from: 'text',
	},
	cluster: {...PROCESSES, from: 'text'},
};
