import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {createInterface} from 'node:readline';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {formatHelp, parseCommandLine, type CommandSpec} from '../source/options/command-line.js';
import {COMMANDS, DASHBOARD} from '../source/commands/registry.js';
import {UsageError} from '../source/options/values.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

function run(...args: string[]) {
	return spawnSync(process.execPath, [CLI, ...args], {encoding: 'utf8', timeout: 10_000});
}

const command = (name: string): CommandSpec => COMMANDS.find((each) => each.name === name)!;

test('flags become camelCase values; --no-color; positionals; -- ends the flags', () => {
	const line = parseCommandLine(DASHBOARD, [
		'--pool-size',
		'3',
		'--no-color',
		'--rate=5',
		'--json',
	]);
	assert.deepEqual(line.values, {poolSize: '3', color: false, rate: '5', json: true});
	const attach = parseCommandLine(command('attach'), ['--', '--odd.sock']);
	assert.deepEqual(attach.positionals, ['--odd.sock']);
	assert.deepEqual(parseCommandLine(DASHBOARD, ['--rate', '-1']).values, {rate: '-1'});
});

for (const [name, args, message] of [
	['dashboard', ['--frobnicate'], /^--frobnicate is not a flag; see concurrency-top --help$/],
	[
		'clients',
		['--mode', 'thread'],
		/^--mode is not a flag of clients; see concurrency-top clients --help$/,
	],
	['attach', ['--port=3'], /^--port is not a flag of attach/],
	['dashboard', ['-x'], /^-x is not a flag/],
	['dashboard', ['--no-json'], /^--no-json is not a flag/],
	['dashboard', ['--port'], /^--port needs a value \(--port N\)$/],
	['dashboard', ['--port', '--json'], /^--port needs a value/],
	['dashboard', ['--json=yes'], /^--json is a switch and takes no value \(got "yes"\)$/],
	['dashboard', ['--mode', 'a', '--mode=b'], /^--mode can only be set once$/],
	['attach', ['a', 'b'], /^unexpected argument "b" to attach; see concurrency-top attach --help$/],
	['bench', ['extra'], /^unexpected argument "extra" to bench; see concurrency-top bench --help$/],
	['bench', ['--mode', 'async'], /^--mode is not a flag of bench/],
] as const) {
	test(`${name} ${args.join(' ')}: ${String(message)}`, () => {
		const spec = name === 'dashboard' ? DASHBOARD : command(name);
		assert.throws(
			() => parseCommandLine(spec, args),
			(error: unknown) => error instanceof UsageError && message.test(error.message),
		);
	});
}

test('clients --mode thread: refused as a process, one line, status 2', () => {
	const result = run('clients', '--target', '127.0.0.1:1', '--mode', 'thread');
	assert.equal(result.status, 2, result.stderr);
	assert.equal(
		result.stderr,
		'concurrency-top: --mode is not a flag of clients; see concurrency-top clients --help\n',
	);
});

for (const name of ['serve', 'attach', 'clients', 'bench']) {
	test(`${name} --help and -h: its own usage with examples, status 0`, () => {
		for (const flag of ['--help', '-h']) {
			const result = run(name, flag);
			assert.equal(result.status, 0, result.stderr);
			assert.match(result.stdout, new RegExp(`^Usage\\n\\s+\\$ concurrency-top ${name} `));
			assert.match(result.stdout, new RegExp(`Examples\\n\\s+\\$ concurrency-top ${name}\\b`));
		}
	});
}

test('-v and --version print the version, whatever else is given', () => {
	for (const args of [
		['-v'],
		['--version'],
		['clients', '--mode', 'x', '-v'],
		['bench', '--version'],
	]) {
		const result = run(...args);
		assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
		assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/);
	}
});

for (const value of ['0.1', '11', 'fast', '']) {
	test(`--interval ${JSON.stringify(value)}: refused naming the range`, () => {
		const result = run('--interval', value, '--json');
		assert.equal(result.status, 2, result.stderr);
		assert.match(result.stderr, /^concurrency-top: --interval must be a number from 0\.2 to 10 /);
	});
}

test('--interval 0.2: five lines a second, and the rates still per second', async () => {
	const child = spawn(
		process.execPath,
		[CLI, '--json', '--interval', '0.2', '--port', '0', '--clients', '2', '--rate', '20'],
		{stdio: ['ignore', 'pipe', 'pipe']},
	);
	try {
		const times: number[] = [];
		let fastest = 0;
		for await (const line of createInterface({input: child.stdout!})) {
			const snapshot = JSON.parse(line) as {
				time: string;
				traffic: {messagesInPerSec: number};
			};
			times.push(Date.parse(snapshot.time));
			fastest = Math.max(fastest, snapshot.traffic.messagesInPerSec);
			if (times.length >= 16) break;
		}
		const gaps = times
			.slice(1)
			.map((time, index) => time - times[index]!)
			.sort((a, b) => a - b);
		const median = gaps[Math.floor(gaps.length / 2)]!;
		assert.ok(median >= 150 && median < 600, `median gap ${median} ms`);
		// 2 clients at 20/s: 40 messages a second; per 0.2 s window it would read 8.
		assert.ok(fastest > 20, `fastest ${fastest} messages/s`);
	} finally {
		child.kill('SIGKILL');
	}
});

/** `concurrency-top ARGS` in a real terminal `cols` wide: its output lines, as written. */
async function inTerminal(cols: number, ...args: string[]): Promise<string[]> {
	const pty = await import('node-pty');
	const child = pty.spawn(process.execPath, [CLI, ...args], {cols, rows: 50});
	let output = '';
	child.onData((data) => (output += data));
	await new Promise<void>((resolve) => child.onExit(() => resolve()));
	return output.replace(/\r\n$/, '').split('\r\n');
}

const words = (text: string) => text.split(/\s+/).filter(Boolean);

test('5. --help wraps at spaces to 80 columns when stdout is not a terminal, and to the terminal at 80 or 120', async () => {
	const every: Array<{args: string[]; wide: string}> = [
		{args: [], wide: formatHelp(DASHBOARD, COMMANDS, 10_000)},
		...COMMANDS.map((command) => ({args: [command.name], wide: formatHelp(command, [], 10_000)})),
	];
	for (const {args, wide} of every) {
		const piped = run(...args, '--help').stdout;
		const long = piped.split('\n').filter((line) => line.length > 80);
		assert.deepEqual(long, [], `${args.join(' ')} --help: lines wider than 80`);
		assert.deepEqual(words(piped), words(wide), 'a word was cut, or lost');
	}
	const narrow = await inTerminal(80, 'serve', '--help');
	assert.deepEqual(
		narrow.filter((line) => line.length > 80),
		[],
	);
	const wide = await inTerminal(120, 'serve', '--help');
	assert.ok(
		wide.some((line) => line.length > 80),
		'a 120-column terminal gets wider lines',
	);
	assert.deepEqual(
		wide.filter((line) => line.length > 120),
		[],
	);
	assert.deepEqual(words(narrow.join('\n')), words(wide.join('\n')));
});
