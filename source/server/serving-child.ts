import {fork, type ChildProcess} from 'node:child_process';
import type {Socket} from 'node:net';
import {performance} from 'node:perf_hooks';
import type {ChildCommand, ChildReport, WorkerRef} from './protocol.js';
import type {ModeContext} from './mode.js';
import {idleText} from './connection.js';

/**
 * A child process that serves connections (child-entry.ts), as process per client and cluster run
 * them: how it is started and ended, and how what it reports becomes the dashboard's events. Both
 * models use these, so a child's report means the same whichever model started it.
 */
export const CHILD_ENTRY = new URL('./child-entry.js', import.meta.url);

/** Forks a server child whose output never reaches the dashboard's terminal. */
export function forkChild(): ChildProcess {
	return fork(CHILD_ENTRY, [], {execArgv: [], stdio: ['ignore', 'ignore', 'ignore', 'ipc']});
}

/** Ends a child and resolves once it has exited. */
/**
 * A child that has not said it is ready by then is given up (a node child starts in 0.1 s here, 2.5 s
 * with 14 at once on a machine at load 20).
 */
export const READY_TIMEOUT_MS = 15_000;

/** How long a child has to end after SIGTERM before SIGKILL: a stopped or stuck one never would. */
const END_GRACE_MS = 2000;

export async function endChild(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise((resolve) => child.once('exit', resolve));
	child.kill('SIGTERM');
	const deadline = setTimeout(() => child.kill('SIGKILL'), END_GRACE_MS);
	await exited;
	clearTimeout(deadline);
}

export function exitReason(code: number | null, signal: NodeJS.Signals | null): string {
	return signal ?? `exit ${code}`;
}

type Reporting = Pick<ModeContext, 'emit' | 'traffic' | 'settings'>;

/**
 * Passes on what a child reports about its connections (bytes and messages, stalls, idle closes);
 * `idOf` turns the child's number for a connection into its dashboard-wide id (undefined: gone).
 * Returns false for a report that is not about a connection, for the model to handle.
 */
export function relayConnectionReport(
	context: Reporting,
	report: ChildReport,
	idOf: (local: number) => number | undefined,
): boolean {
	switch (report.type) {
		case 'traffic': {
			for (const [local, bytesIn, bytesOut, messagesIn, messagesOut, reads] of report.deltas) {
				const id = idOf(local);
				if (id !== undefined)
					context.traffic.add(id, bytesIn, bytesOut, messagesIn, messagesOut, reads);
			}
			return true;
		}
		case 'stall': {
			const id = idOf(report.id);
			if (id !== undefined) {
				context.emit({type: 'stall', id, stalled: report.stalled, at: Date.now()});
			}
			return true;
		}
		case 'idle-closed': {
			const id = idOf(report.id);
			if (id !== undefined) {
				const text = idleText(id, context.settings().idleTimeoutMs);
				context.emit({type: 'log', level: 'info', text, at: Date.now()});
			}
			return true;
		}
		default: {
			return false;
		}
	}
}

/** The child is up and serving: `connection` is the one it was started for (null: it accepts its own). */
export function emitChildUp(
	context: Pick<ModeContext, 'emit' | 'name'>,
	worker: WorkerRef,
	connection: number | null,
	spawnedAt: number,
): void {
	context.emit({
		type: 'worker-up',
		worker,
		mode: context.name,
		connection,
		startupMs: performance.now() - spawnedAt,
		at: Date.now(),
	});
}

/** The child ended; returns why, as the dashboard words it. */
export function emitChildDown(
	context: Pick<ModeContext, 'emit' | 'name'>,
	worker: WorkerRef,
	exit: {readonly code: number | null; readonly signal: NodeJS.Signals | null},
	expected: boolean,
): string {
	const reason = exitReason(exit.code, exit.signal);
	context.emit({type: 'worker-down', worker, mode: context.name, reason, expected, at: Date.now()});
	return reason;
}

/** Per child, the sockets handed to it whose message is not written yet, with what to call then. */
const unwritten = new WeakMap<ChildProcess, Map<Socket, (error: Error | null) => void>>();

/**
 * Sends a connection's socket to a child, which owns it from then on. `written` is called once:
 * with null once the message and its descriptor are handed to the kernel (Node reports a failed
 * write or a descriptor the child could not take as null too: the client is closed all the same),
 * or with an error when the socket never left (the child had ended, or ended first).
 *
 * This process closes its copy as soon as the message is written: the descriptor in flight keeps the
 * connection open, its bytes included, until the child takes it, and closes it if the child ends
 * first. Node's default keeps the copy until the child acknowledges it, and Node 20 keeps it for ever
 * when the child ends before acknowledging (its disconnect waits for a queue only an acknowledgement
 * empties): a client connected to the dashboard and served by no one, seen when a model switch
 * stopped cluster's children while it dealt them clients. A socket still queued behind another when
 * its child ends is closed then.
 */
export function handOver(
	child: ChildProcess,
	message: ChildCommand,
	socket: Socket,
	written: (error: Error | null) => void = () => {},
): void {
	const ended = child.exitCode !== null || child.signalCode !== null || !child.connected;
	if (ended || socket.destroyed) {
		socket.destroy();
		written(new Error(ended ? `pid ${child.pid} has ended` : 'the client had left'));
		return;
	}
	let sockets = unwritten.get(child);
	if (!sockets) {
		const queued = new Map<Socket, (error: Error | null) => void>();
		sockets = queued;
		unwritten.set(child, queued);
		child.once('exit', () => {
			for (const [held, done] of queued) {
				held.destroy();
				done(new Error(`pid ${child.pid} ended first`));
			}
			queued.clear();
		});
	}
	sockets.set(socket, written);
	child.send(message, socket as never, {keepOpen: true}, (error: Error | null) => {
		if (!sockets.delete(socket)) return;
		socket.destroy();
		written(error);
	});
}
