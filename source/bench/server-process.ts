/**
 * A model's server in a process of its own, for the bench: EchoServer with its events folded into a
 * MetricsStore that rolls and snapshots on the dashboard's clock, so the row measures the server with
 * all its accounting on. Its own process, so /proc shows its threads, processes, memory and CPU alone.
 * argv: mode, workload name, work ms, delay ms, pool size, listen backlog (--backlog).
 */
import {DEFAULT_TIMING} from '../live/controller.js';
import {MetricsStore} from '../metrics/store.js';
import {MODE_NAMES, type ModeName} from '../server/mode.js';
import {createHost, workload, WORKLOAD_NAMES, type WorkloadName} from './workload.js';

const [modeArg = '', workArg = 'echo', workMsArg = '0', delayMsArg = '0', poolSizeArg, backlogArg] =
	process.argv.slice(2);
if (!process.send || !(MODE_NAMES as readonly string[]).includes(modeArg)) {
	console.error('server-process is started by concurrency-top bench');
	process.exit(1);
}
const mode = modeArg as ModeName;
const work = workload(
	(WORKLOAD_NAMES as readonly string[]).includes(workArg) ? (workArg as WorkloadName) : 'echo',
	Number(workMsArg),
	Number(delayMsArg),
	poolSizeArg === undefined ? undefined : Number(poolSizeArg),
);
const config = {
	host: '127.0.0.1',
	port: 0,
	handler: 'echo',
	backlog: backlogArg === undefined ? null : Number(backlogArg),
} as const;
const store = new MetricsStore(config);
const host = createHost(config, (event) => store.apply(event), work);
const port = await host.start(mode);
// The row measures the model as it runs once started, with every accept handle listening.
await host.accepting();
setInterval(() => store.roll(), DEFAULT_TIMING.rollMs).unref();
setInterval(() => store.snapshot({offset: 0, limit: 20}), DEFAULT_TIMING.tickMs).unref();
process.send({type: 'ready', port, pid: process.pid});
process.on('message', (message: {type: string}) => {
	if (message.type === 'stop') void host.stop().then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
