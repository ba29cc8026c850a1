/**
 * The names bench's --scenario and --generator take, apart from the bench's code: the command's
 * flags (source/commands/flags.ts) list them as meow's choices without loading the bench.
 */
export const SCENARIO_NAMES = ['matrix', 'saturation', 'storm', 'memory', 'dashboard'] as const;
export const GENERATOR_NAMES = ['c', 'node'] as const;
