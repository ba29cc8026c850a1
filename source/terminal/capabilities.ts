/** What the user's terminal and environment allow, read once from the environment. */

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Whether Unicode box-drawing and block (sparkline) characters are safe to draw: the locale is UTF-8
 * (first of LC_ALL, LC_CTYPE, LANG that is set) and TERM is not `linux` (console font lacks most of them)
 * or `dumb`. Panels fall back to ASCII (`+-|`, ` .:-=+*#%@`) when this is false.
 */
export function isUnicodeSafe(env: Env = process.env): boolean {
	const term = env['TERM'] ?? '';
	if (term === 'linux' || term === 'dumb') return false;
	const locale = env['LC_ALL'] || env['LC_CTYPE'] || env['LANG'] || '';
	return /utf-?8/i.test(locale);
}

/**
 * Whether output must be monochrome: the `noColor` option (from `--no-color`), or NO_COLOR set to a
 * non-empty value (https://no-color.org).
 */
export function isColorDisabled(env: Env = process.env, noColor = false): boolean {
	return noColor || (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '');
}
