import {formatCount, formatDuration} from '../shared/format.js';
import {serverLabel, type BenchRow} from './report.js';

/**
 * `bench --chart`: what people would rather look at than read. Bars of msgs/s for each server at
 * each client count, and a latency percentile curve (p50 to max, log scale) per server at the
 * largest client count. Plain text, so it survives a pipe and a log; a saturated row has no bar.
 */
export function formatCharts(rows: readonly BenchRow[], width: number): string {
	const echo = rows.filter((row) => row.workload === rows[0]?.workload);
	if (echo.length === 0) return '';
	return [throughputChart(echo, width), '', percentileChart(echo, width)].join('\n');
}

function throughputChart(rows: readonly BenchRow[], width: number): string {
	const names = rows.map((row) => serverLabel(row));
	const nameWidth = Math.max(...names.map((name) => name.length));
	const peak = Math.max(...rows.map((row) => (row.generatorSaturated ? 0 : row.messagesPerSec)), 1);
	const barWidth = Math.max(10, width - nameWidth - 14);
	const lines = [
		`msgs/s against clients (${rows[0]!.workload}; a bar of ${barWidth} = ${formatCount(peak)} msgs/s)`,
	];
	for (const clients of [...new Set(rows.map((row) => row.clients))]) {
		lines.push(`clients ${clients}`);
		for (const row of rows.filter((candidate) => candidate.clients === clients)) {
			const name = serverLabel(row).padEnd(nameWidth);
			if (row.generatorSaturated) {
				lines.push(`  ${name} (load generator saturated: no figure)`);
				continue;
			}
			const bar = '█'.repeat(
				Math.max(
					row.messagesPerSec > 0 ? 1 : 0,
					Math.round((barWidth * row.messagesPerSec) / peak),
				),
			);
			lines.push(`  ${name} ${bar} ${formatCount(row.messagesPerSec)}`);
		}
	}
	return lines.join('\n');
}

const PERCENTILES = [
	['p50', 'p50Ms'],
	['p90', 'p90Ms'],
	['p99', 'p99Ms'],
	['p99.9', 'p999Ms'],
	['max', 'maxMs'],
] as const;
const HEIGHT = 10;
const MARKS = 'abcdefghijklmnopqrstuvwxyz';

/** One mark per server at each percentile, on a log scale of round-trip time. */
function percentileChart(rows: readonly BenchRow[], width: number): string {
	const clients = Math.max(...rows.map((row) => row.clients));
	const shown = rows.filter(
		(row) => row.clients === clients && row.rtt.samples > 0 && !row.generatorSaturated,
	);
	if (shown.length === 0) return 'latency percentiles: no round trips to draw';
	const values = shown.flatMap((row) => PERCENTILES.map(([, key]) => row.rtt[key]!));
	const low = Math.log(Math.max(0.001, Math.min(...values)));
	const high = Math.log(Math.max(0.001, ...values));
	const span = high - low || 1;
	const labelWidth = 8;
	const step = Math.max(6, Math.floor((Math.min(width, 80) - labelWidth) / PERCENTILES.length));
	const grid = Array.from({length: HEIGHT}, () =>
		Array.from({length: step * PERCENTILES.length}, () => ' '),
	);
	shown.forEach((row, index) => {
		PERCENTILES.forEach(([, key], column) => {
			const level = Math.round(
				((Math.log(Math.max(0.001, row.rtt[key]!)) - low) / span) * (HEIGHT - 1),
			);
			const line = grid[HEIGHT - 1 - level]!;
			const x = column * step + Math.floor(step / 2);
			line[x] = line[x] === ' ' ? MARKS[index % MARKS.length]! : '*';
		});
	});
	const lines = [
		`round-trip time by percentile at ${clients} clients (log scale; * where marks meet)`,
	];
	grid.forEach((line, index) => {
		const label =
			index === 0
				? formatDuration(Math.exp(high))
				: index === HEIGHT - 1
					? formatDuration(Math.exp(low))
					: '';
		lines.push(`${label.padStart(labelWidth - 1)}│${line.join('').trimEnd()}`);
	});
	lines.push(`${' '.repeat(labelWidth - 1)}└${'─'.repeat(step * PERCENTILES.length)}`);
	lines.push(
		`${' '.repeat(labelWidth)}${PERCENTILES.map(([name]) => name.padStart(Math.floor(step / 2) + Math.ceil(name.length / 2)).padEnd(step)).join('')}`,
	);
	shown.forEach((row, index) =>
		lines.push(
			`  ${MARKS[index % MARKS.length]} ${serverLabel(row)}: ${PERCENTILES.map(([name, key]) => `${name} ${formatDuration(row.rtt[key]!)}`).join(', ')}`,
		),
	);
	return lines.join('\n');
}
