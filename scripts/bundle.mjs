/**
 * Bundles the compiled program (dist/source, after tsc) into dist/app: one file per entry point (the
 * CLI and each file a worker thread or child process starts), plus chunks loaded only when a command
 * or an optional part needs them. dist/cli.js loads dist/app/main.js.
 *
 * Why: loading ~600 separate modules (Ink's dependencies, es-toolkit's index, React) was most of the
 * start-up time, and a second, unbundled Ink came in with @alcalzone/ink-table. Bundled, every module
 * exists once, React and Ink are their production builds, and nothing is needed from node_modules at
 * run time: the package has no dependencies to install.
 *
 * Entry files are referenced as `new URL('<relative path>', import.meta.url)`; in the bundle every
 * file sits in dist/app, so such a reference is rewritten to the file's name there. A reference to a
 * file not listed below fails the build rather than the program.
 */
import {build} from 'esbuild';
import {readFileSync, rmSync, writeFileSync, existsSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath, pathToFileURL, URL} from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(root, 'dist');
const out = path.join(dist, 'app');

/** Output name (in dist/app) of every file the program starts or reads by path. */
const ENTRIES = {
	'source/main.js': 'main',
	'source/server/server-process.js': 'server-process',
	'source/clients/client-process.js': 'client-process',
	'source/bench/server-process.js': 'bench-server-process',
	'source/bench/load-worker.js': 'load-worker',
	'source/bench/plain-echo-server.js': 'plain-echo-server',
};
/**
 * Worker entries bundled alone, each one CommonJS file that imports nothing of ours: a thread or a
 * child process starts for each client, and loading the entry as ES modules from shared chunks made
 * a start slower (14 threads started at once: the last ready after 0.70-1.10 s, against 0.52-0.75 s
 * as one script; 14 child processes: 1.7-2.5 s, against 1.1-1.2 s). The child that copies
 * async's accept handles (listener-copies) is one too: the server accepts with one until it is up.
 */
const STANDALONE = {
	'source/server/thread-entry.js': 'thread-entry.cjs',
	'source/server/child-entry.js': 'child-entry.cjs',
	'source/server/listener-copies.js': 'listener-copies.cjs',
};
/** Files outside the bundle that it refers to, as seen from dist/app. */
const OUTSIDE = {
	'cli.js': '../cli.js',
	'../package.json': '../../package.json',
	'../bench/loadgen.c': '../../bench/loadgen.c',
	'../examples/python': '../../examples/python/',
};

const reference = /new URL\((['"])([^'"]+)\1,\s*import\.meta\.url\)/g;

/** Rewrites `new URL('../child-entry.js', import.meta.url)` to the file's place in dist/app. */
const flatten = {
	name: 'flatten-entry-references',
	setup(build) {
		build.onLoad({filter: /\.js$/}, (args) => {
			if (
				!args.path.startsWith(dist + path.sep) ||
				args.path.includes(`${path.sep}vendor${path.sep}`)
			) {
				return undefined;
			}
			const text = readFileSync(args.path, 'utf8');
			const contents = text.replaceAll(reference, (whole, quote, relative) => {
				const target = path.relative(dist, path.resolve(path.dirname(args.path), relative));
				const name = ENTRIES[target] ?? STANDALONE[target] ?? OUTSIDE[target];
				if (name === undefined) {
					throw new Error(`${args.path}: ${relative} is not a known entry (scripts/bundle.mjs)`);
				}
				const to = name.startsWith('..') ? name : name.includes('.') ? `./${name}` : `./${name}.js`;
				return `new URL(${quote}${to}${quote}, import.meta.url)`;
			});
			return {contents, loader: 'js'};
		});
	},
};

/** `#ink` is Ink itself, so that @alcalzone/ink-table and the program share one copy. */
const oneInk = {
	name: 'one-ink',
	setup(build) {
		build.onResolve({filter: /^#ink$/}, (args) =>
			build.resolve('ink', {kind: args.kind, resolveDir: args.resolveDir}),
		);
		// Ink loads React's devtools only when DEV=true, which a user of this program never sets:
		// its devtools module (and the `ws` it pulls in, 67 kB) is left out.
		build.onResolve({filter: /^react-devtools-core$/}, () => ({
			path: 'devtools',
			namespace: 'stub',
		}));
		build.onResolve({filter: /^\.\/devtools\.js$/}, (args) =>
			/node_modules\/ink\//.test(args.importer)
				? {path: 'ink-devtools', namespace: 'stub'}
				: undefined,
		);
		build.onLoad({filter: /.*/, namespace: 'stub'}, () => ({
			contents: 'export default {connectToDevTools() {}};',
			loader: 'js',
		}));
	},
};

/**
 * Yoga's loader (Emscripten) fetches its WebAssembly from the data: URL it carries whenever `fetch`
 * exists: in Node that loads undici, Node's fetch, on the way to the first frame (about 20 ms of a
 * 0.35 s start, measured with --cpu-prof). Told that there is no fetch, it decodes the same bytes
 * itself. Both checks must be found, or the build fails: a new Yoga is looked at, not patched blindly.
 */
const yogaWithoutFetch = {
	name: 'yoga-without-fetch',
	setup(build) {
		build.onLoad(
			{filter: /yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/},
			(args) => {
				const text = readFileSync(args.path, 'utf8');
				const check = '"function"!=typeof fetch';
				if (text.split(check).length !== 3) {
					throw new Error(`${args.path}: expected Yoga's two fetch checks (scripts/bundle.mjs)`);
				}
				return {contents: text.replaceAll(check, 'true'), loader: 'js'};
			},
		);
	},
};

/**
 * string-width measures text that is not plain ASCII grapheme by grapheme, against an emoji pattern
 * of thousands of alternatives that V8 compiles on first use: about 20 ms of the first frame (Ink
 * measures every line, and box lines are not ASCII). Text of the characters in NARROW_TEXT
 * (source/terminal/narrow.ts, each checked against string-width by the tests) is as wide as it is
 * long, and is measured so. The place must be found, or the build fails.
 */
const narrowText = {
	name: 'string-width-narrow-text',
	setup(build) {
		build.onLoad({filter: /[\\/]string-width[\\/]index\.js$/}, async (args) => {
			const text = readFileSync(args.path, 'utf8');
			const asciiFastPath =
				'\tif (/^[\\u0020-\\u007E]*$/.test(string)) {\n\t\treturn string.length;\n\t}\n';
			// wrap-ansi's older copy has no such path (and no such cost on the first frame): as it is.
			if (!text.includes('rgiEmojiRegex')) return undefined;
			if (text.split(asciiFastPath).length !== 2) {
				throw new Error(
					`${args.path}: string-width's ASCII fast path not found (scripts/bundle.mjs)`,
				);
			}
			const {NARROW_TEXT} = await import(
				pathToFileURL(path.join(dist, 'source/terminal/narrow.js')).href
			);
			const narrow = `\tif (ambiguousIsNarrow && ${NARROW_TEXT}.test(string)) {\n\t\treturn string.length;\n\t}\n`;
			return {contents: text.replace(asciiFastPath, asciiFastPath + narrow), loader: 'js'};
		});
	},
};

rmSync(out, {recursive: true, force: true});
const result = await build({
	entryPoints: Object.fromEntries(
		Object.entries(ENTRIES).map(([file, name]) => [name, path.join(dist, file)]),
	),
	outdir: out,
	chunkNames: '[name]-[hash]',
	bundle: true,
	splitting: true,
	format: 'esm',
	platform: 'node',
	target: 'node20',
	define: {'process.env.NODE_ENV': '"production"'},
	// Only for `bench --scenario dashboard`, from a checkout: said in one line when missing.
	external: ['node-pty', '@xterm/headless'],
	// Some dependencies are CommonJS and require Node's built-ins.
	banner: {
		js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);",
	},
	legalComments: 'none',
	minifySyntax: true,
	minifyWhitespace: true,
	metafile: true,
	plugins: [flatten, oneInk, yogaWithoutFetch, narrowText],
	logLevel: 'warning',
});

for (const [file, name] of Object.entries(STANDALONE)) {
	await build({
		entryPoints: [path.join(dist, file)],
		outfile: path.join(out, name),
		bundle: true,
		format: 'cjs',
		platform: 'node',
		target: 'node20',
		legalComments: 'none',
		minifySyntax: true,
		minifyWhitespace: true,
		logLevel: 'warning',
	});
}

writeFileSync(path.join(out, 'THIRD-PARTY-LICENSES.txt'), thirdPartyLicenses(result.metafile));

/**
 * The MIT licence of a package that ships no licence file (ink-table, yoga-layout), with the
 * copyright holder its package.json names; any other such package stops the build.
 */
function mitText(manifest) {
	const holder = typeof manifest.author === 'string' ? manifest.author : manifest.author?.name;
	if (manifest.license !== 'MIT' || !holder) {
		throw new Error(
			`${manifest.name}: no licence file, and no MIT author to write one for (scripts/bundle.mjs)`,
		);
	}
	return `MIT License

Copyright (c) ${holder} (as named by the package's author field; the package ships no licence file)

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.`;
}

/** The licence of every package bundled into dist/app, as their licences ask when redistributed. */
function thirdPartyLicenses(metafile) {
	const packages = new Map();
	for (const input of Object.keys(metafile.inputs)) {
		const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
		if (match) packages.set(match[1], path.resolve(root, match[1]));
	}
	const sections = [...packages.values()].sort().map((directory) => {
		const manifest = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8'));
		const file = readdirSync(directory).find((name) => /^(licen[cs]e|copying)/i.test(name));
		const text =
			file && existsSync(path.join(directory, file))
				? readFileSync(path.join(directory, file), 'utf8')
				: mitText(manifest);
		// A NOTICE travels with the licence (es-toolkit's says what it takes from Lodash).
		const notice = readdirSync(directory).find((name) => /^notice/i.test(name));
		const noticeText = notice
			? `\n\n${readFileSync(path.join(directory, notice), 'utf8').trim()}`
			: '';
		// A package that is itself a bundle lists the licences of what it carries (meow's
		// build/licenses.md: yargs-parser, normalize-package-data and the rest): they travel too.
		const carried = path.join(directory, 'build', 'licenses.md');
		const carriedText = existsSync(carried)
			? `\n\nPackages bundled into ${manifest.name}, and their licences:\n\n${readFileSync(carried, 'utf8').trim()}`
			: '';
		return `${manifest.name}@${manifest.version} (${manifest.license})\n\n${text.trim()}${noticeText}${carriedText}\n`;
	});
	return `Packages bundled into this program, and their licences.\n\n${sections.join(`\n${'-'.repeat(72)}\n\n`)}`;
}

// The man page, from the same declarations as --help (source/commands/manual.ts).
{
	const {manPage} = await import(pathToFileURL(path.join(dist, 'source/commands/manual.js')).href);
	const {COMMANDS, DASHBOARD} = await import(
		pathToFileURL(path.join(dist, 'source/commands/registry.js')).href
	);
	const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
	writeFileSync(
		path.join(dist, 'concurrency-top.1'),
		manPage(DASHBOARD, COMMANDS, manifest.version, manifest.description),
	);
}
