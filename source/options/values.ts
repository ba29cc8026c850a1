/**
 * The checks every command's flags go through: each takes the flag's name and its text, and gives
 * the value or throws a UsageError that says what the flag takes. Every command's options use them;
 * the dashboard's own are in options.ts, where a host is reachable from, in hosts.ts.
 */

/** A mistake on the command line: printed as one line, exit status 2, never a stack trace. */
export class UsageError extends Error {
	override readonly name = 'UsageError';
}

export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
	if ((allowed as readonly string[]).includes(value)) return value as T;
	throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got "${value}")`);
}

export function integer(
	flag: string,
	value: string | undefined,
	fallback: number,
	min: number,
	max: number,
): number {
	if (value === undefined) return fallback;
	const parsed = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
	if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
		throw new UsageError(`--${flag} must be a whole number from ${min} to ${max} (got "${value}")`);
	}
	return parsed;
}

export function positiveNumber(
	flag: string,
	value: string | undefined,
	fallback: number,
	max: number,
): number {
	return decimal(flag, value, fallback, (n) => n > 0 && n <= max, `above 0 and at most ${max}`);
}

/** A comma-separated list of names from `allowed`, each once, in the order given. */
export function list<T extends string>(
	flag: string,
	value: string | undefined,
	allowed: readonly T[],
): T[] | undefined {
	if (value === undefined) return undefined;
	const items = value.split(',').map((item) => item.trim());
	if (items.some((item) => item === '')) {
		throw new UsageError(`--${flag} is a comma-separated list (got "${value}")`);
	}
	return [...new Set(items.map((item) => oneOf(flag, item, allowed)))];
}

/** A comma-separated list of whole numbers from `min` to `max`, each once. */
export function numberList(
	flag: string,
	value: string | undefined,
	min: number,
	max: number,
): number[] | undefined {
	if (value === undefined) return undefined;
	return [...new Set(value.split(',').map((item) => integer(flag, item, 0, min, max)))];
}

/** A number from `min` to `max`, decimals allowed. */
export function numberFrom(
	flag: string,
	value: string | undefined,
	fallback: number,
	min: number,
	max: number,
): number {
	return decimal(flag, value, fallback, (n) => n >= min && n <= max, `from ${min} to ${max}`);
}

/** A number as typed (`2`, `0.5`, `.5`) that `fits`; `range` says which ones do. */
function decimal(
	flag: string,
	value: string | undefined,
	fallback: number,
	fits: (parsed: number) => boolean,
	range: string,
): number {
	if (value === undefined) return fallback;
	const parsed = /^\d*\.?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
	if (!fits(parsed)) throw new UsageError(`--${flag} must be a number ${range} (got "${value}")`);
	return parsed;
}
