/**
 * Entry point of the server process (`--placement worker`): a EchoServer driven by the dashboard
 * over IPC. Its events go back in batches, one IPC message per turn of the event loop. It ends when
 * the dashboard's IPC channel closes, whatever the reason, and its own children follow it.
 */
import {
	HEARTBEAT_MS,
	type ServerCommand,
	type ServerEvent,
	type ServerReport,
	type ServerSettings,
} from './protocol.js';
import {EchoServer} from './echo-server.js';
import {MODE_NAMES, type ModeName, type ServerConfig} from './mode.js';

const send = process.send?.bind(process);
if (!send) {
	console.error('server-process must be started by concurrency-top (it needs an IPC channel)');
	process.exit(1);
}
const report = (message: ServerReport) => {
	if (process.connected) send(message);
};

// Silence from a running server process means it is stopped or hung: the dashboard says so.
setInterval(() => report({type: 'alive'}), HEARTBEAT_MS).unref();

const {config, settings} = JSON.parse(process.argv[2] ?? '{}') as {
	config: ServerConfig;
	settings: ServerSettings;
};

let batch: ServerEvent[] = [];
const flush = () => {
	const events = batch;
	batch = [];
	report({type: 'events', events});
};
const host = new EchoServer(
	config,
	(event) => {
		if (batch.length === 0) setImmediate(flush);
		batch.push(event);
	},
	settings,
);

/** Commands run one at a time, in order, as the dashboard sent them. */
let queue: Promise<void> = Promise.resolve();

process.on('message', (command: ServerCommand) => {
	queue = queue.then(async () => {
		switch (command.type) {
			case 'start': {
				try {
					if (!(MODE_NAMES as readonly string[]).includes(command.mode)) {
						throw new Error(`unknown mode ${command.mode}`);
					}
					const port = await host.start(command.mode as ModeName);
					flush();
					report({type: 'done', request: command.request, port});
				} catch (error) {
					flush();
					report({
						type: 'failed',
						request: command.request,
						message: error instanceof Error ? error.message : String(error),
					});
				}
				break;
			}
			case 'stop': {
				await host.stop();
				flush();
				report({type: 'done', request: command.request, port: host.port});
				break;
			}
			case 'configure': {
				host.configure(command.settings);
				break;
			}
			case 'crash-worker': {
				host.crashWorker();
				break;
			}
		}
	});
});

// The dashboard is gone (quit, crash or SIGKILL): end the server, and never outlive it.
process.on('disconnect', () => {
	setTimeout(() => process.exit(0), 1000).unref();
	void host.stop().finally(() => process.exit(0));
});
