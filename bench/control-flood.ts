/**
 * What 40 silent connections that reconnect as soon as they are let go cost `serve` on a loopback
 * control port: serve's CPU while they run, and how many of 20 `attach` attempts get in.
 * serve runs with a token, so that connections from another user wait for their hello as the
 * operator's do; `attach` is given the token too, so that the same script measures a build from
 * before uid-based admission. The flood runs as `--flood-user UID` (root may choose 65534, nobody),
 * or as this user.
 *
 *   npm run build && node dist/bench/control-flood.js [--cli=dist/cli.js] [--flood-user=65534]
 *                                                       [--connections=40] [--seconds=5]
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {once} from 'node:events';
import {createInterface} from 'node:readline';
import {fileURLToPath} from 'node:url';
import {cpuShare} from '../test/helpers/cpu.js';
import {sleep} from '../test/helpers/net.js';

const argument = (name: string, fallback: string): string =>
	process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;

const cli = argument('cli', fileURLToPath(new URL('../cli.js', import.meta.url)));
const floodUser = argument('flood-user', '');
const connections = Number(argument('connections', '40'));
const seconds = Number(argument('seconds', '5'));
const TOKEN = 'control-flood-bench-token-0123456789';

/** One `attach --json`: in when its first JSON line comes, refused when it exits first. */
async function attachOnce(port: number): Promise<boolean> {
	const child = spawn(process.execPath, [cli, 'attach', `127.0.0.1:${port}`, '--json'], {
		stdio: ['ignore', 'pipe', 'ignore'],
		env: {...process.env, CONCURRENCY_TOP_TOKEN: TOKEN},
	});
	const line = once(createInterface({input: child.stdout!}), 'line').then(() => true);
	const exit = once(child, 'exit').then(() => false);
	const timeout = sleep(10_000).then(() => false);
	const inside = await Promise.race([line, exit, timeout]);
	child.kill('SIGKILL');
	return inside;
}

const serve = spawn(
	process.execPath,
	[cli, 'serve', '--port', '0', '--control-port', '0', '--control-token', TOKEN],
	{stdio: ['ignore', 'ignore', 'pipe']},
);
let flood: ChildProcess | undefined;
try {
	const port = await new Promise<number>((resolve, reject) => {
		createInterface({input: serve.stderr!}).on('line', (line) => {
			const match = / attach 127\.0\.0\.1:(\d+)$/.exec(line);
			if (match) resolve(Number(match[1]));
		});
		serve.once('exit', () => reject(new Error('serve ended')));
	});
	await sleep(1000);
	const idle = await cpuShare(serve.pid!, seconds * 1000);
	flood = spawn(
		process.execPath,
		[
			'-e',
			`const net = require('net');
			let connects = 0;
			const open = () => {
				connects++;
				const s = net.connect(${port}, '127.0.0.1');
				s.on('error', () => {});
				s.resume();
				s.on('close', open);
			};
			for (let i = 0; i < ${connections}; i++) open();
			process.on('SIGTERM', () => { process.stdout.write(String(connects)); process.exit(0); });`,
		],
		{
			stdio: ['ignore', 'pipe', 'ignore'],
			...(floodUser === '' ? {} : {uid: Number(floodUser), gid: Number(floodUser)}),
		},
	);
	await sleep(1000);
	const flooded = await cpuShare(serve.pid!, seconds * 1000);
	let inside = 0;
	for (let i = 0; i < 20; i++) if (await attachOnce(port)) inside++;
	let connects = '';
	flood.stdout!.setEncoding('utf8').on('data', (text: string) => (connects += text));
	flood.kill('SIGTERM');
	await once(flood, 'exit');
	console.log(
		`serve CPU: idle ${idle.toFixed(1)}%, under ${connections} silent reconnecting connections${floodUser ? ` of uid ${floodUser}` : ''} ${flooded.toFixed(1)}% of a core; attach: ${inside} of 20 got in, ${20 - inside} refused; ${connects} connects in all`,
	);
} finally {
	flood?.kill('SIGKILL');
	serve.kill('SIGTERM');
}
