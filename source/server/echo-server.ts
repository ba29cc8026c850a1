import type {Socket} from 'node:net';
import type {EmitEvent, ServerEvent, ServerSettings} from './protocol.js';
import {formatAddress, TrafficCounter} from './connection.js';
import {backlogOf, type ModeName, type ServerConfig, type ServerMode} from './mode.js';
import {DEFAULT_SETTINGS} from './settings.js';
import {MODES} from './modes/index.js';
import {ListenError} from './listen.js';
import {fdConnectionCap, openFileLimit, refusalReason} from './fd-limit.js';
import {collectWhenQuiet} from './quiet-gc.js';
import {poolSizeRefusal} from './pool-budget.js';

const TRAFFIC_FLUSH_MS = 100;

/**
 * Runs one server mode at a time and switches between them on the same port. Everything it learns
 * leaves as typed events through `emit`, so it can run inside the dashboard or in a process of its own.
 */
export class EchoServer {
	readonly #emit: EmitEvent;
	readonly #traffic = new TrafficCounter();
	#config: ServerConfig;
	#settings: ServerSettings;
	#mode: ServerMode | undefined;
	/** The last start, settled or not: stop() waits for it. */
	#starting: Promise<number> | undefined;
	#connectionIds = 0;
	/** Open connections of the running mode, counted from its own events, for --max-connections. */
	readonly #open = new Set<number>();
	#flushTimer: NodeJS.Timeout | undefined;
	/** Gives memory back after a burst of connections, while a mode runs. */
	#stopCollecting: (() => void) | undefined;
	/** `ulimit -n`, read once: beyond its cap (with headroom) connections are refused, not EMFILE. */
	readonly #fdLimit = openFileLimit();
	/** The mode starting or running, for the fd cost of its connections. */
	#costOf: ModeName = 'async';

	constructor(config: ServerConfig, emit: EmitEvent, settings: ServerSettings = DEFAULT_SETTINGS) {
		this.#config = config;
		this.#settings = settings;
		this.#emit = (event: ServerEvent) => {
			if (event.type === 'conn-open') this.#open.add(event.id);
			else if (event.type === 'conn-close') this.#open.delete(event.id);
			emit(event);
		};
	}

	get modeName(): ModeName | undefined {
		return this.#mode?.name;
	}

	/** The bound port once started; with `port: 0` the kernel's choice, kept across switches. */
	get port(): number {
		return this.#config.port;
	}

	get settings(): ServerSettings {
		return this.#settings;
	}

	/** Resolves once the running model accepts at full width (its extra accept handles listen). */
	async accepting(): Promise<void> {
		await this.#mode?.accepting?.();
	}

	/** Starts `name`, stopping the running mode first. Rejects (with nothing running) if it cannot listen. */
	start(name: ModeName): Promise<number> {
		const starting = this.#start(name);
		this.#starting = starting;
		return starting;
	}

	async #start(name: ModeName): Promise<number> {
		const switching = this.#mode !== undefined;
		await this.#stopRunning();
		this.#costOf = name;
		const mode = MODES[name].create({
			name,
			config: this.#config,
			backlog: backlogOf(MODES[name], this.#config),
			emit: this.#emit,
			traffic: this.#traffic,
			nextConnectionId: () => ++this.#connectionIds,
			settings: () => this.#settings,
			admit: (socket) => this.#admit(socket),
		});
		try {
			const port = await this.#listenAgain(mode, switching);
			this.#mode = mode;
			this.#config = {...this.#config, port};
		} catch (error) {
			await mode.stop().catch(() => {});
			throw error;
		}
		this.#flushTimer = setInterval(() => this.#flush(), TRAFFIC_FLUSH_MS);
		this.#flushTimer.unref();
		this.#stopCollecting = collectWhenQuiet();
		this.#emit({type: 'settings', settings: this.#settings, at: Date.now()});
		this.#emit({
			type: 'listening',
			mode: name,
			host: this.#config.host,
			port: this.port,
			...(mode.budget ? {budget: mode.budget} : {}),
			...(mode.accept ? {accept: mode.accept} : {}),
			at: Date.now(),
		});
		return this.port;
	}

	/**
	 * Stops the running mode. A start still under way (a switch: threads or children starting) is
	 * waited for and then stopped too: it would otherwise begin listening after this returned, a
	 * server nobody stops.
	 */
	async stop(): Promise<void> {
		await this.#starting?.catch(() => {});
		await this.#stopRunning();
	}

	async #stopRunning(): Promise<void> {
		const mode = this.#mode;
		this.#mode = undefined;
		clearInterval(this.#flushTimer);
		this.#stopCollecting?.();
		if (mode) await mode.stop();
		this.#open.clear();
		this.#flush();
	}

	/**
	 * Starts `mode`; when switching, the port just given up can still be held for a moment (a cluster
	 * child's channel closing after its exit, seen once in ten minutes of soak), so EADDRINUSE is
	 * retried for a few seconds before it counts.
	 */
	async #listenAgain(mode: ServerMode, switching: boolean): Promise<number> {
		const deadline = Date.now() + 3000;
		for (;;) {
			try {
				return await mode.start();
			} catch (error) {
				const inUse = error instanceof ListenError && error.code === 'EADDRINUSE';
				if (!switching || !inUse || Date.now() > deadline) throw error;
				await new Promise((resolve) => setTimeout(resolve, 100));
			}
		}
	}

	/** Changes work per message, pool size or the connection limit of the running mode, live. */
	configure(settings: Partial<ServerSettings>): void {
		const overBudget =
			settings.poolSize !== undefined && settings.poolSize > this.#settings.poolSize
				? poolSizeRefusal(settings.poolSize, settings.maxWorkers ?? this.#settings.maxWorkers)
				: null;
		if (overBudget) {
			// Whoever asked (a control client, a server process's parent) is told in the log; the
			// rest of the change applies.
			this.#emit({
				type: 'log',
				level: 'warn',
				text: `pool not resized: ${overBudget}`,
				at: Date.now(),
			});
			settings = {...settings, poolSize: this.#settings.poolSize};
		}
		this.#settings = {...this.#settings, ...settings};
		this.#mode?.configure?.(this.#settings);
		this.#emit({type: 'settings', settings: this.#settings, at: Date.now()});
	}

	/** Crashes one worker of the running model, so the dashboard can show what a crash takes down. */
	crashWorker(): void {
		const hit = this.#mode?.crashWorker?.() ?? null;
		this.#emit({
			type: 'log',
			level: 'warn',
			text:
				hit === null ? `${this.modeName ?? 'no'} model has no worker to crash` : `crashing ${hit}`,
			at: Date.now(),
		});
	}

	/** The most connections the running mode can hold within the fd limit; null if unknown. */
	get fdCap(): number | null {
		if (this.#fdLimit === null) return null;
		const {fdCost, fdFixed} = MODES[this.#costOf];
		return fdConnectionCap(this.#fdLimit, fdCost, fdFixed?.(this.#fdLimit));
	}

	#admit(socket: Socket): boolean {
		const limit = this.#settings.maxConnections;
		const fdCap = this.fdCap;
		const atLimit = limit !== null && this.#open.size >= limit;
		const atFdCap = fdCap !== null && this.#open.size >= fdCap;
		if (!atLimit && !atFdCap) return true;
		const peer = formatAddress(socket.remoteAddress, socket.remotePort);
		socket.on('error', () => {});
		socket.destroy();
		const {limit: cap, why} = refusalReason(atLimit ? limit : null, this.#fdLimit, fdCap);
		this.#emit({type: 'refused', peer, limit: cap, why, at: Date.now()});
		return false;
	}

	#flush(): void {
		const deltas = this.#traffic.flush();
		if (deltas.length > 0) this.#emit({type: 'traffic', deltas});
	}
}
