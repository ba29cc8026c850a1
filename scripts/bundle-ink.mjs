/**
 * Bundles Ink into one file, dist/vendor/ink.js, which the program imports as `#ink`.
 *
 * Why: Ink imports one function (`throttle`) from es-toolkit's compat index, and Node loads the ~400
 * files behind that index on every start: about 300 ms of a 650 ms start to first frame. Bundled,
 * esbuild keeps only what is used and Ink loads in about 140 ms. React stays external, so Ink and
 * the program share one React; Ink's optional devtools are left out.
 */
import {build} from 'esbuild';
import {fileURLToPath, URL} from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
	entryPoints: [fileURLToPath(import.meta.resolve('ink'))],
	outfile: `${root}/dist/vendor/ink.js`,
	bundle: true,
	format: 'esm',
	platform: 'node',
	target: 'node20',
	external: ['react'],
	// Some of Ink's dependencies are CommonJS and require Node's built-ins.
	banner: {
		js: "import {createRequire} from 'node:module'; const require = createRequire(import.meta.url);",
	},
	plugins: [
		{
			name: 'no-devtools',
			setup(build) {
				build.onResolve({filter: /^react-devtools-core$/}, () => ({
					path: 'devtools',
					namespace: 'stub',
				}));
				build.onLoad({filter: /.*/, namespace: 'stub'}, () => ({
					contents: 'export default {connectToDevTools() {}};',
					loader: 'js',
				}));
			},
		},
	],
	logLevel: 'warning',
});
