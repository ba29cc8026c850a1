import {readFileSync} from 'node:fs';
import os from 'node:os';
import {formatBytes} from '../shared/format.js';
import {PROCESS_COST_BYTES, type ModeName, type ModelMachine} from '../server/mode.js';
import {MODES} from '../server/modes/index.js';

/** What a row needs to start: a model's server, or an outside server that only gets clients. */
export type RowPlan =
	| {readonly kind: 'model'; readonly name: string; readonly mode: ModeName}
	| {readonly kind: 'target'; readonly name: string; readonly host: string; readonly port: number};

export type LeftOut = {readonly name: string; readonly reason: string};

export type CostContext = ModelMachine;

/** Both ends of one connection: socket buffers and bookkeeping in the server and the client process. */
const CONNECTION_BYTES = 8 * 1024;

/**
 * What a row costs in memory with `clients` connected: its server process and the test-client
 * process, plus what the model starts (its registry entry's `memory`). The thread and process rows
 * cost what they cost: nothing is scaled down to fit.
 */
export function rowCost(plan: RowPlan, clients: number, context: CostContext): number {
	const connections = clients * CONNECTION_BYTES;
	if (plan.kind === 'target') return PROCESS_COST_BYTES + connections;
	return 2 * PROCESS_COST_BYTES + connections + MODES[plan.mode].memory(clients, context);
}

/**
 * The rows that fit in `budgetBytes`, in the order asked for; a row that does not fit is left out
 * with the reason, and later (cheaper) rows may still fit.
 */
export function planRows(
	plans: readonly RowPlan[],
	clients: number,
	budgetBytes: number,
	context: CostContext,
): {readonly start: readonly RowPlan[]; readonly leftOut: readonly LeftOut[]} {
	const start: RowPlan[] = [];
	const leftOut: LeftOut[] = [];
	let left = budgetBytes;
	for (const plan of plans) {
		const cost = rowCost(plan, clients, context);
		if (cost <= left) {
			start.push(plan);
			left -= cost;
		} else {
			leftOut.push({
				name: plan.name,
				reason: `needs ${formatBytes(cost)} for ${clients} clients, ${formatBytes(Math.max(0, left))} of the ${formatBytes(budgetBytes)} budget left`,
			});
		}
	}
	return {start, leftOut};
}

/** Half of what the kernel says can be had without swapping (MemAvailable), as the models budget. */
export function defaultBudget(): number {
	try {
		const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
		if (match) return (Number(match[1]) * 1024) / 2;
	} catch {
		// not Linux: fall back to the total, as workerBudget does
	}
	return os.totalmem() / 2;
}
