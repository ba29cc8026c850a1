import assert from 'node:assert/strict';

const NAME = String.raw`[a-zA-Z_:][a-zA-Z0-9_:]*`;
const LABEL = String.raw`[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"`;
const VALUE = String.raw`(?:NaN|[+-]Inf|[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(${LABEL}(?:,${LABEL})*)\\})? (${VALUE})(?: -?\\d+)?$`);

type Sample = {name: string; labels: Record<string, string>; value: number};

/** Parses the text format strictly: every line is a HELP, a TYPE or a well-formed sample. */
export function parseExposition(text: string): {samples: Sample[]; types: Map<string, string>} {
	const help = new Set<string>();
	const types = new Map<string, string>();
	const samples: Sample[] = [];
	for (const line of text.split('\n')) {
		if (line === '') continue;
		const comment = /^# (HELP|TYPE) (\S+) (.+)$/.exec(line);
		if (comment) {
			if (comment[1] === 'HELP') help.add(comment[2]!);
			else {
				assert.match(comment[3]!, /^(counter|gauge|histogram|summary|untyped)$/, line);
				types.set(comment[2]!, comment[3]!);
			}
			continue;
		}
		const match = SAMPLE.exec(line);
		assert.ok(match, `not a well-formed sample line: ${JSON.stringify(line)}`);
		const name = match[1]!;
		const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
		assert.ok(types.has(family), `TYPE before ${name}`);
		assert.ok(help.has(family), `HELP before ${name}`);
		const labels: Record<string, string> = {};
		for (const [, key, value] of (match[2] ?? '').matchAll(
			/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g,
		))
			labels[key!] = value!;
		samples.push({name, labels, value: Number(match[3])});
	}
	return {samples, types};
}

export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}) {
	const found = samples.filter(
		(sample) =>
			sample.name === name &&
			Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
	);
	assert.equal(
		found.length,
		1,
		`one sample ${name} ${JSON.stringify(labels)}, got ${found.length}`,
	);
	return found[0]!.value;
}
