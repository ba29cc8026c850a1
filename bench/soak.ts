/**
 * The long soak: clients connect and disconnect continuously while the model switches every few
 * seconds; prints threads, child processes, open fds and RSS at the start, the peak and the end.
 *
 *   npm run build && node dist/bench/soak.js [minutes=10] [switch-seconds=3] [clients=20]
 */
import {runSoak, type Figures} from './soak-run.js';

const [minutes = 10, switchSeconds = 3, clients = 20] = process.argv.slice(2).map(Number);
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const row = (name: string, figures: Figures) =>
	`${name.padEnd(6)} threads ${figures.threads}  processes ${figures.processes}  fds ${figures.fds}  RSS ${mb(figures.rssBytes)}  heap ${mb(figures.heapBytes)}`;

const result = await runSoak({
	durationMs: minutes * 60_000,
	switchMs: switchSeconds * 1000,
	clients,
	log: (line) => console.error(line),
});
console.log(
	`soak: ${result.seconds.toFixed(0)} s, ${result.switches} model switches, ${result.connections} connections, ${mb(result.echoedBytes)} echoed, ${result.corrupt} corrupt replies`,
);
console.log(row('start', result.start));
console.log(row('peak', result.peak));
console.log(row('end', result.end));
const grew = result.end.rssBytes - result.start.rssBytes;
console.log(`RSS end - start: ${mb(grew)}`);
