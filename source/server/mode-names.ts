/** The concurrency models, in the order the number keys and `m` walk through them. */
export const MODE_NAMES = [
	'sequential',
	'async',
	'thread',
	'pool',
	'process',
	'reactor',
	'hybrid',
	'cluster',
] as const;
export type ModeName = (typeof MODE_NAMES)[number];
