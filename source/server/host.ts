import type {EmitEvent} from '../protocol.js';
import {TrafficCounter} from './connection.js';
import type {ModeName, ServerConfig, ServerMode} from './mode.js';
import {MODE_FACTORIES} from './modes/index.js';

const TRAFFIC_FLUSH_MS = 100;

/**
 * Runs one server mode at a time and switches between them on the same port. Everything it learns
 * leaves as typed events through `emit`, so it can run inside the dashboard or in a process of its own.
 */
export class ServerHost {
	readonly #emit: EmitEvent;
	readonly #traffic = new TrafficCounter();
	#config: ServerConfig;
	#mode: ServerMode | undefined;
	#connectionIds = 0;
	#flushTimer: NodeJS.Timeout | undefined;

	constructor(config: ServerConfig, emit: EmitEvent) {
		this.#config = config;
		this.#emit = emit;
	}

	get modeName(): ModeName | undefined {
		return this.#mode?.name;
	}

	/** The bound port once started; with `port: 0` the kernel's choice, kept across switches. */
	get port(): number {
		return this.#config.port;
	}

	/** Starts `name`, stopping the running mode first. Rejects (with nothing running) if it cannot listen. */
	async start(name: ModeName): Promise<number> {
		await this.stop();
		const mode = MODE_FACTORIES[name]({
			config: this.#config,
			emit: this.#emit,
			traffic: this.#traffic,
			nextConnectionId: () => ++this.#connectionIds,
		});
		const port = await mode.start();
		this.#mode = mode;
		this.#config = {...this.#config, port};
		this.#flushTimer = setInterval(() => this.#flush(), TRAFFIC_FLUSH_MS);
		this.#flushTimer.unref();
		this.#emit({type: 'listening', mode: name, host: this.#config.host, port, at: Date.now()});
		return port;
	}

	async stop(): Promise<void> {
		const mode = this.#mode;
		this.#mode = undefined;
		clearInterval(this.#flushTimer);
		if (mode) await mode.stop();
		this.#flush();
	}

	#flush(): void {
		const deltas = this.#traffic.flush();
		if (deltas.length > 0) this.#emit({type: 'traffic', deltas});
	}
}
