import {defaultBudget} from '../compare/budget.js';
import {CompareApp} from '../compare/app.js';
import {toCompareJson, toCompareSummaryJson} from '../compare/figures.js';
import {jsonLine} from '../metrics/json-output.js';
import {parseCompareOptions, type CompareFlags, type CompareOptions} from '../compare/options.js';
import {formatFinal} from '../compare/report.js';
import {CompareSession} from '../compare/session.js';
import {isUnicodeSafe, keyboardInput, runFullScreen} from '../terminal/index.js';
import {onQuitSignal} from '../shared/quit-signals.js';

/** `concurrency-top compare …`: every model side by side under the same load. Returns the exit status. */
export async function runCompare(values: CompareFlags, args: readonly string[]): Promise<number> {
	const options = parseCompareOptions(values, Boolean(process.stdout.isTTY));
	const command = `concurrency-top compare ${args.join(' ')}`.trim();
	const session = new CompareSession(options, options.budgetBytes ?? defaultBudget());
	if (session.rowCount === 0) {
		for (const out of session.snapshot.leftOut) {
			process.stderr.write(`concurrency-top: compare: left out ${out.name}: ${out.reason}\n`);
		}
		return 1;
	}
	if (options.format === 'live') keyboardInput();
	// The screen comes up at once and shows the rows as they start: that takes seconds with many.
	const started = session.start();
	if (options.format === 'live') return runLive(session, options, command);
	await started;
	return runHeadless(session, options, command);
}

async function runLive(
	session: CompareSession,
	options: CompareOptions,
	command: string,
): Promise<number> {
	const reason = await runFullScreen(
		<CompareApp
			session={session}
			ascii={!isUnicodeSafe()}
			durationMs={options.durationS === null ? undefined : options.durationS * 1000}
		/>,
		{
			noColor: !options.base.color,
			// Every row's server and client processes end here, each given its own grace period.
			cleanupTimeoutMs: 8000,
			exitProcess: false,
			cleanup: async () => {
				const summary = session.summary();
				await session.stop();
				if (options.durationS !== null)
					process.stdout.write(`${formatFinal(summary, 'text', command)}\n`);
			},
		},
	);
	return reason.code;
}

/** The longest start-up `--duration` waits for before it counts. */
const START_UP_LIMIT_MS = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

async function runHeadless(
	session: CompareSession,
	options: CompareOptions,
	command: string,
): Promise<number> {
	// `compare --json | head -3`: a reader that leaves is the end of the output, not a crash.
	process.stdout.on('error', () => void session.stop().then(() => process.exit(0)));
	if (options.format === 'json') {
		session.subscribe((snapshot) => {
			if (snapshot.rows.length > 0) process.stdout.write(jsonLine(toCompareJson(snapshot)));
		});
	}
	const ended = new Promise<number>((resolve) => {
		onQuitSignal(() => resolve(0));
		// S seconds of the measured window, which starts once every row is up (or, should one
		// never be, a minute after the start).
		const {durationS} = options;
		if (durationS !== null) {
			const end = () => setTimeout(() => resolve(0), durationS * 1000);
			void Promise.race([session.windowStarted, sleep(START_UP_LIMIT_MS)]).then(end);
		}
	});
	const code = await ended;
	const summary = session.summary();
	await session.stop();
	if (options.format === 'text' || options.format === 'markdown') {
		process.stdout.write(`${formatFinal(summary, options.format, command)}\n`);
	}
	// The last line is the measured window's, not the last second's.
	if (options.format === 'json') process.stdout.write(jsonLine(toCompareSummaryJson(summary)));
	return code;
}
