/**
 * Process per client alone, as the bench's own server process runs a model (EchoServer, no dashboard
 * collectors in its loop), with a budget of 120 children so that 100 can run (the default on 2 cores
 * is 32). For bench/process-storm.sh:
 *
 *   sh bench/process-storm.sh 3 node dist/bench/process-host.js '$PORT'
 */
import {EchoServer} from '../source/server/echo-server.js';
import {DEFAULT_SETTINGS} from '../source/server/settings.js';

const port = Number(process.argv[2] ?? 0);
const host = new EchoServer(
	{host: '127.0.0.1', port, handler: 'echo'},
	(event) => {
		if (event.type === 'log' && event.level !== 'info') console.error(event.text);
	},
	{...DEFAULT_SETTINGS, maxWorkers: 120},
);
console.log(await host.start('process'));
process.on('SIGTERM', () => void host.stop().then(() => process.exit(0)));
