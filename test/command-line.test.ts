import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {once} from 'node:events';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {readFileSync} from 'node:fs';
import {
	formatHelp,
	meowFlags,
	parseCommandLine,
	type CommandSpec,
} from '../source/options/command-line.js';
import {MODE_NAMES} from '../source/server/mode.js';
import {COMMANDS, DASHBOARD} from '../source/commands/registry.js';
import {parseOptions} from '../source/options/options.js';
import {UsageError} from '../source/options/values.js';
import {waitFor} from './helpers/net.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const PROGRAM_NAME = 'concurrency-top';

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
	// Switches not given are there with their default (meow's), values not given are not.
	assert.deepEqual(line.values, {
		poolSize: '3',
		color: false,
		rate: '5',
		json: true,
		metricsAllowRemote: false,
	});
	const attach = parseCommandLine(command('attach'), ['--', '--odd.sock']);
	assert.deepEqual(attach.positionals, ['--odd.sock']);
	assert.equal(parseCommandLine(DASHBOARD, ['--rate', '-1']).values['rate'], '-1');
	assert.equal(parseCommandLine(DASHBOARD, []).values['color'], true);
});

test("meow's flags come from the declarations: types, a negatable switch's default, choices, repeats", () => {
	const dashboard = meowFlags(DASHBOARD.flags);
	assert.deepEqual(dashboard['mode'], {type: 'string', choices: [...MODE_NAMES]});
	assert.deepEqual(dashboard['poolSize'], {type: 'string'});
	assert.deepEqual(dashboard['color'], {type: 'boolean', default: true});
	assert.deepEqual(dashboard['json'], {type: 'boolean', default: false});
	assert.deepEqual(meowFlags(command('compare').flags)['target'], {
		type: 'string',
		isMultiple: true,
	});
	assert.deepEqual(Object.keys(meowFlags(command('clients').flags)), [
		'target',
		'clients',
		'rate',
		'duration',
		'warmup',
		'fixedRate',
		'timeoutMs',
		'json',
		'color',
	]);
});

test('meow parses every command: the bundle carries it, and the parser imports it', () => {
	const licences = readFileSync(
		fileURLToPath(new URL('../app/THIRD-PARTY-LICENSES.txt', import.meta.url)),
		'utf8',
	);
	assert.match(licences, /^meow@14\./m);
	const source = readFileSync(
		fileURLToPath(new URL('../../source/options/command-line.ts', import.meta.url)),
		'utf8',
	);
	assert.match(source, /^import meow\b.* from 'meow';$/m);
	assert.match(source, /allowUnknownFlags: false/);
});

const everyCommand = [DASHBOARD, ...COMMANDS];

test('--flag=value and --flag value give the same values, for every flag that takes one', () => {
	for (const spec of everyCommand) {
		for (const flag of spec.flags.filter((each) => each.type === 'string')) {
			const value = flag.choices?.[0] ?? '7';
			const joined = parseCommandLine(spec, [`--${flag.name}=${value}`]).values;
			const apart = parseCommandLine(spec, [`--${flag.name}`, value]).values;
			assert.deepEqual(joined, apart, `${spec.name} --${flag.name}`);
			assert.equal(
				apart[flag.name.replaceAll(/-([a-z])/g, (_, c: string) => c.toUpperCase())],
				value,
			);
		}
	}
});

test('a flag given twice is refused, each form, for every flag of every command (compare --target repeats)', () => {
	for (const spec of everyCommand) {
		for (const flag of spec.flags) {
			const once =
				flag.type === 'boolean'
					? [`--${flag.negatable ? 'no-' : ''}${flag.name}`]
					: [`--${flag.name}`, flag.choices?.[0] ?? '7'];
			const twice = flag.type === 'boolean' ? [...once, ...once] : [...once, `--${flag.name}=8`];
			if (flag.multiple) {
				assert.equal(parseCommandLine(spec, twice).values['target'], '7,8');
				continue;
			}
			assert.throws(
				() => parseCommandLine(spec, twice),
				(error: unknown) =>
					error instanceof UsageError && error.message === `--${flag.name} can only be set once`,
				`${spec.name} ${twice.join(' ')}`,
			);
		}
	}
	assert.throws(
		() => parseCommandLine(DASHBOARD, ['--color', '--no-color']),
		/^UsageError: --color can only be set once$/,
	);
});

test('compare --target repeated: the rows of each, as the comma-separated form gives', () => {
	const compare = command('compare');
	assert.deepEqual(
		parseCommandLine(compare, ['--target', 'a=127.0.0.1:1', '--target=b=127.0.0.1:2']).values[
			'target'
		],
		'a=127.0.0.1:1,b=127.0.0.1:2',
	);
});

test('numbers are checked by options.ts in its words, whichever form the flag takes', () => {
	for (const args of [['--port=99999'], ['--port', '99999']]) {
		assert.throws(
			() => parseOptions(parseCommandLine(DASHBOARD, args).values),
			/^UsageError: --port must be a whole number from 0 to 65535 \(got "99999"\)$/,
		);
	}
});

const flagsOf = (spec: CommandSpec) =>
	[
		...spec.flags.map((flag) => `--${flag.negatable ? 'no-' : ''}${flag.name}`),
		'--help',
		'--version',
	].join(', ');

for (const [name, args, message] of [
	[
		'dashboard',
		['--frobnicate'],
		`--frobnicate is not a flag; its flags are ${flagsOf(DASHBOARD)}; see concurrency-top --help`,
	],
	[
		'clients',
		['--mode', 'thread'],
		`--mode is not a flag of clients; its flags are ${flagsOf(command('clients'))}; see concurrency-top clients --help`,
	],
	['attach', ['--port=3'], /^--port is not a flag of attach; its flags are --control-token, /],
	['dashboard', ['-x'], /^-x is not a flag; its flags are --mode, /],
	['dashboard', ['--no-json'], /^--no-json is not a flag/],
	['dashboard', ['--no-port'], /^--no-port is not a flag/],
	['dashboard', ['--port'], /^--port needs a value \(--port N\)$/],
	['dashboard', ['--port', '--json'], /^--port needs a value/],
	['dashboard', ['--port='], /^--port needs a value/],
	['dashboard', ['--mode', '--json'], /^--mode needs a value \(--mode NAME\)$/],
	['dashboard', ['--json=yes'], /^--json is a switch and takes no value \(got "yes"\)$/],
	['dashboard', ['--no-color=1'], /^--no-color is a switch and takes no value \(got "1"\)$/],
	['dashboard', ['--mode', 'a', '--mode=b'], /^--mode can only be set once$/],
	[
		'dashboard',
		['--mode', 'forking'],
		/^--mode must be one of sequential, async, .* \(got "forking"\)$/,
	],
	[
		'dashboard',
		['--cluster-accept=x'],
		/^--cluster-accept must be one of round-robin, shared \(got "x"\)$/,
	],
	['watch', ['--handler', 'x'], /^--handler must be one of echo, upper \(got "x"\)$/],
	[
		'bench',
		['--scenario', 'x'],
		/^--scenario must be one of matrix, saturation, storm, memory, dashboard \(got "x"\)$/,
	],
	['bench', ['--generator', 'rust'], /^--generator must be one of c, node \(got "rust"\)$/],
	['attach', ['a', 'b'], /^unexpected argument "b" to attach; see concurrency-top attach --help$/],
	['bench', ['extra'], /^unexpected argument "extra" to bench; see concurrency-top bench --help$/],
	['bench', ['--mode', 'async'], /^--mode is not a flag of bench/],
] as const) {
	test(`${name} ${args.join(' ')}: ${String(message)}`, () => {
		const spec = name === 'dashboard' ? DASHBOARD : command(name);
		assert.throws(
			() => parseCommandLine(spec, args),
			(error: unknown) =>
				error instanceof UsageError &&
				(typeof message === 'string' ? error.message === message : message.test(error.message)),
		);
	});
}

for (const spec of everyCommand) {
	const words = spec === DASHBOARD ? [] : [spec.name];
	test(`${[PROGRAM_NAME, ...words].join(' ')} --no-such-flag: one line naming it and the flags it has, exit 2`, () => {
		const result = run(...words, '--no-such-flag', '1');
		assert.equal(result.status, 2, result.stderr);
		assert.equal(result.stdout, '');
		assert.equal(
			result.stderr,
			`concurrency-top: --no-such-flag is not a flag${spec === DASHBOARD ? '' : ` of ${spec.name}`}; its flags are ${flagsOf(spec)}; see ${[PROGRAM_NAME, ...words].join(' ')} --help\n`,
		);
	});
}

test('meow leaves the process its name and arguments (ps, /proc/PID/cmdline and comm)', async () => {
	const child = spawn(process.execPath, [CLI, '--json', '--port', '0'], {
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	try {
		await once(child.stdout!, 'data');
		const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'latin1').split('\0');
		assert.deepEqual(cmdline.slice(1, 4), [CLI, '--json', '--port']);
		assert.equal(readFileSync(`/proc/${child.pid}/comm`, 'latin1').trim(), 'node');
	} finally {
		child.kill('SIGKILL');
	}
});

for (const name of ['serve', 'attach', 'clients', 'bench']) {
	test(`${name} --help and -h: its own usage with examples, status 0`, () => {
		for (const flag of ['--help', '-h']) {
			const result = run(name, flag);
			assert.equal(result.status, 0, result.stderr);
			// meow prints it, framed by a blank line above and below.
			assert.match(result.stdout, new RegExp(`^\\nUsage\\n\\s+\\$ concurrency-top ${name} `));
			assert.match(result.stdout, /\S\n\n$/);
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

for (const value of ['0.1', '11', 'fast']) {
	test(`--interval ${JSON.stringify(value)}: refused naming the range`, () => {
		const result = run('--interval', value, '--json');
		assert.equal(result.status, 2, result.stderr);
		assert.match(result.stderr, /^concurrency-top: --interval must be a number from 0\.2 to 10 /);
	});
}

// meow's parser reads `--interval ""` as it reads `--interval` with nothing after it: no value.
test('--interval "": refused as a flag with no value', () => {
	const result = run('--interval', '', '--json');
	assert.equal(result.status, 2, result.stderr);
	assert.equal(result.stderr, 'concurrency-top: --interval needs a value (--interval S)\n');
});

/** `concurrency-top ARGS` in a real terminal `cols` wide: its output lines, as written. */
async function inTerminal(cols: number, ...args: string[]): Promise<string[]> {
	const pty = await import('node-pty');
	const child = pty.spawn(process.execPath, [CLI, ...args], {cols, rows: 50});
	let output = '';
	child.onData((data) => (output += data));
	await new Promise<void>((resolve) => child.onExit(() => resolve()));
	// node-pty may report the exit before the last bytes are read (seen on a loaded machine): the
	// help ends with a blank line, so wait for it; a help that never ends so fails the words below.
	await waitFor(() => output.endsWith('\r\n\r\n'), 'the end of the help', 5000).catch(() => {});
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
