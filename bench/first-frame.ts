/**
 * The first frame of an idle async dashboard, as a person sees it in a real pseudo-terminal: its
 * "processes" and "threads" figures, once per run (the short-lived listener-copies helper must not
 * count as a second process).
 *
 *   npm run build && node dist/bench/first-frame.js [--cli=dist/cli.js] [--runs=6]
 */
import {fileURLToPath} from 'node:url';
import {PtySession} from '../test/helpers/pty.js';

const argument = (name: string, fallback: string): string =>
	process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;

const cli = argument('cli', fileURLToPath(new URL('../cli.js', import.meta.url)));
const runs = Number(argument('runs', '6'));
const frames: string[] = [];
for (let run = 0; run < runs; run++) {
	const session = new PtySession(process.execPath, [cli, '--mode', 'async', '--port', '0'], {
		cols: 120,
		rows: 40,
	});
	try {
		await session.waitFor((s) => /processes\s+\d+/.test(s.text()), 20_000);
		const screen = session.text();
		frames.push(
			`processes ${/processes\s+(\d+)/.exec(screen)?.[1]}, threads ${/threads\s+(\d+)/.exec(screen)?.[1]}`,
		);
	} finally {
		await session.dispose();
	}
}
console.log(`first frames of an idle async dashboard: ${frames.join(' | ')}`);
