// The types of `#ink` (package.json "imports"): Ink's own. At run time `#ink` is Ink itself, bundled
// with the rest of the program by scripts/bundle.mjs.
export * from 'ink';
