import {Controller} from '../../source/live/controller.js';
import {parseOptions} from '../../source/options/options.js';
import {ControlServer, type ControlServerOptions} from '../../source/remote/control-server.js';

const TIMING = {tickMs: 100, rollMs: 500, procMs: 500, hostMs: 5000};

/** A Controller on port 0 and a ControlServer on it, not yet listening; its log lines collected. */
export async function startServing(
	token: string | null = null,
	extra: Partial<ControlServerOptions> = {},
) {
	const controller = new Controller(parseOptions({port: '0', rate: '20'}), TIMING);
	await controller.start();
	const logs: string[] = [];
	const control = new ControlServer(controller, {
		version: 'test',
		token,
		log: (text) => logs.push(text),
		...extra,
	});
	return {controller, control, logs};
}
