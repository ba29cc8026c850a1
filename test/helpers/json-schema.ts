import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

/**
 * The part of JSON Schema (2020-12) that the schemas in schemas/ use: type, properties, required,
 * additionalProperties false, items, enum, minimum, oneOf and $ref to #/$defs. Written here rather than taken
 * from a library: forty lines, and no dependency for the tests to pull in.
 */
type Schema = {
	readonly title?: string;
	readonly type?: string | readonly string[];
	readonly properties?: Readonly<Record<string, Schema>>;
	readonly required?: readonly string[];
	readonly additionalProperties?: boolean;
	readonly items?: Schema;
	readonly enum?: readonly unknown[];
	readonly minimum?: number;
	readonly oneOf?: readonly Schema[];
	readonly $ref?: string;
	readonly $defs?: Readonly<Record<string, Schema>>;
};

function typeOf(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'array';
	return typeof value;
}

/** Where `value` breaks `schema`: one line per problem, with its path; empty when it conforms. */
export function schemaErrors(
	value: unknown,
	schema: Schema,
	root: Schema = schema,
	path = '$',
): string[] {
	if (schema.$ref !== undefined) {
		const name = /^#\/\$defs\/(.+)$/.exec(schema.$ref)?.[1];
		const target = name === undefined ? undefined : root.$defs?.[name];
		if (!target) return [`${path}: unknown $ref ${schema.$ref}`];
		return schemaErrors(value, target, root, path);
	}
	if (schema.oneOf) {
		const matching = schema.oneOf.filter(
			(option) => schemaErrors(value, option, root, path).length === 0,
		);
		if (matching.length === 1) return [];
		const closest = schema.oneOf
			.map((option) => schemaErrors(value, option, root, path))
			.sort((a, b) => a.length - b.length)[0]!;
		return matching.length === 0 ? closest : [`${path}: matches ${matching.length} of oneOf`];
	}
	if (schema.enum && !schema.enum.includes(value))
		return [`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`];
	if (schema.type !== undefined) {
		const types = typeof schema.type === 'string' ? [schema.type] : schema.type;
		const actual = typeOf(value);
		const ok = types.some(
			(type) => type === actual || (type === 'integer' && Number.isInteger(value)),
		);
		if (!ok) return [`${path}: ${actual}, not ${types.join(' or ')}`];
	}
	if (schema.minimum !== undefined && typeof value === 'number' && value < schema.minimum)
		return [`${path}: ${value} is below ${schema.minimum}`];
	const errors: string[] = [];
	if (typeOf(value) === 'object') {
		const object = value as Record<string, unknown>;
		for (const key of schema.required ?? [])
			if (!(key in object)) errors.push(`${path}: no ${key}`);
		for (const [key, inner] of Object.entries(object)) {
			const property = schema.properties?.[key];
			if (property) errors.push(...schemaErrors(inner, property, root, `${path}.${key}`));
			else if (schema.additionalProperties === false)
				errors.push(`${path}: ${key} is not in the schema`);
		}
	}
	if (Array.isArray(value) && schema.items)
		value.forEach((item, index) =>
			errors.push(...schemaErrors(item, schema.items!, root, `${path}[${index}]`)),
		);
	return errors;
}

/** A command's schema, as shipped in the package (schemas/<name>.schema.json). */
export function commandSchema(name: 'dashboard' | 'compare' | 'clients' | 'bench'): Schema {
	// From dist/test/helpers/: the package root holds schemas/.
	const file = fileURLToPath(new URL(`../../../schemas/${name}.schema.json`, import.meta.url));
	return JSON.parse(readFileSync(file, 'utf8')) as Schema;
}

/** Throws, listing every problem, unless `document` conforms to the command's schema. */
export function assertConforms(name: Parameters<typeof commandSchema>[0], document: unknown): void {
	const errors = schemaErrors(document, commandSchema(name));
	if (errors.length > 0)
		throw new Error(
			`${name} JSON does not match schemas/${name}.schema.json:\n${errors.slice(0, 20).join('\n')}`,
		);
}
