// The types of `#ink` (package.json "imports"): Ink's own. At run time `#ink` is dist/vendor/ink.js,
// Ink bundled into one file by scripts/bundle-ink.mjs.
export * from 'ink';
