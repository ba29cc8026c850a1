/**
 * Which layer each test file belongs to, read by scripts/test.mjs (docs/testing.md says how to
 * choose). Names are paths under test/. A test file named in no list still runs, with e2e and one at
 * a time, and every run says so: add it here.
 *
 * - unit: pure functions, reducers, parsers, panels with ink-testing-library. No sockets, no ptys, no
 *   child processes, no waiting on the clock beyond a few milliseconds: `npm run test:unit`, under a
 *   minute with the build.
 * - e2e: real sockets, processes and ptys: `npm run test:e2e`.
 * - slow: the long ones (soak, recovery, hostile, truth, package): `npm run test:slow`.
 *
 * e2e and slow files run two at a time, except those in ALONE, which run one after another once the
 * others are done: they measure time, rates, RSS or CPU, or change what the other files run from.
 */

export const UNIT = [
	'bench-report.test.ts',
	'bench-schedule.test.ts',
	'clients-panel.test.tsx',
	'compare-app.test.tsx',
	'compare.test.tsx',
	'imports.test.ts',
	'json-output.test.ts',
	'json-schema.test.ts',
	'layout.test.tsx',
	'licences.test.ts',
	'machine.test.ts',
	'mode-registry.test.ts',
	'model-facts.test.ts',
	'narrow.test.tsx',
	'options.test.ts',
	'own-threads-ui.test.tsx',
	'quit-signals.test.ts',
	'reply-check.test.ts',
	'sockets.test.ts',
	'store.test.ts',
	'table.test.tsx',
	'terminal/input.test.ts',
	'terminal/screen.test.ts',
	'thread-activity.test.ts',
	'ui.test.tsx',
	'view-state.test.ts',
	'watch-ui.test.tsx',
];

export const SLOW = [
	'hostile.test.ts',
	'package.test.ts',
	'recovery.test.ts',
	'soak.test.ts',
	'truth.test.ts',
];

export const E2E = [
	'ascii.test.ts',
	'attach-parity.test.tsx',
	'backlog.test.ts',
	'bad-input.test.ts',
	'behaviour.test.ts',
	'bench.test.ts',
	'bounds.test.ts',
	'cli.test.ts',
	'clients-screen.test.ts',
	'clients-summary.test.ts',
	'cluster-spread.test.ts',
	'command-line.test.ts',
	'compare-cli.test.ts',
	'compare-keys.test.ts',
	'controller.test.ts',
	'crashes.test.ts',
	'docs.test.ts',
	'e2e.test.ts',
	'events.test.tsx',
	'figures.test.tsx',
	'half-close.test.ts',
	'hand-over.test.ts',
	'idle-start.test.ts',
	'hangups.test.ts',
	'install.test.ts',
	'json-interval.test.ts',
	'keys.test.ts',
	'limits.test.ts',
	'loadgen.test.ts',
	'manual.test.ts',
	'models.test.ts',
	'own-threads.test.ts',
	'placement.test.ts',
	'pool-keys.test.tsx',
	'process-spares.test.ts',
	'prometheus.test.ts',
	'queue-leave.test.ts',
	'queue-panel.test.tsx',
	'reach-cli.test.ts',
	'refusals.test.ts',
	'remote.test.ts',
	'security.test.ts',
	'spares.test.tsx',
	'ss-runner.test.ts',
	'systeminformation.test.ts',
	'terminal/full-screen.test.ts',
	'terminal/slow-terminal.test.ts',
	'test-client.test.ts',
	'trust.test.ts',
	'tutorial-shape.test.ts',
	'waits.test.ts',
	'watch-descendants.test.ts',
	'watch-real-servers.test.ts',
	'watch-terminal.test.ts',
	'watch-threads.test.ts',
	'watch.test.ts',
];

/** e2e and slow files that must run alone, and why. */
export const ALONE = {
	'truth.test.ts': 'the figures must equal the kernel’s within one tick, and it prints the lag',
	'soak.test.ts': 'counts the connections made in 20 s and the RSS growth',
	'recovery.test.ts': 'RSS back within 10% of idle, and an answer within 5 s, after a storm',
	'hostile.test.ts': 'a 64 MB message and clients that never read: the memory the server takes',
	'clients-summary.test.ts': 'a 2 s run must take between 1.4 and 3 s',
	'json-interval.test.ts': 'the median gap between JSON lines, 150 to 600 ms',
	'hangups.test.ts': 'the dashboard must end within 1.5 and 2 s of a hangup',
	'prometheus.test.ts': 'the echo server must answer within 3 s',
	'trust.test.ts': 'watch under 25% of a core while a command floods its stderr',
	'terminal/full-screen.test.ts': 'bytes written per second, and an exit between 0.9 and 2.5 s',
	'terminal/slow-terminal.test.ts': 'echo p99 beside a slow terminal against a normal one',
	'keys.test.ts': 'key-to-frame times, printed for comparison between runs',
	'bench.test.ts': 'runs the bench, whose load generators keep both cores busy for a minute',
	'compare-cli.test.ts': 'every row’s clients must connect within a 5 s --duration',
	'systeminformation.test.ts': 'its CPU share of our process must be within 10 points of /proc’s',
};
