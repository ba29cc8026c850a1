/** The signals that ask this program to quit: Ctrl-C, `kill`, and a terminal or ssh session that hung up. */
export const QUIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Calls `quit` on the first SIGINT, SIGTERM or SIGHUP, once: a second signal while it stops is
 * ignored (the listeners stay, so it cannot kill the process half-way through its cleanup).
 */
export function onQuitSignal(quit: (signal: (typeof QUIT_SIGNALS)[number]) => void): void {
	let quitting = false;
	for (const signal of QUIT_SIGNALS) {
		process.on(signal, () => {
			if (quitting) return;
			quitting = true;
			quit(signal);
		});
	}
}
