/** Number formatting shared by the panels, the event log and the JSON-free outputs. */

export function formatDuration(ms: number): string {
	if (ms < 1) return `${ms.toFixed(2)}ms`;
	if (ms < 10) return `${ms.toFixed(1)}ms`;
	if (ms < 1000) return `${Math.round(ms)}ms`;
	if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
	// Whole seconds from ten on: a tenth that changes on every frame is noise, and costs bytes over SSH.
	if (ms < 60_000) return `${Math.floor(ms / 1000)}s`;
	const minutes = Math.floor(ms / 60_000);
	if (minutes < 60)
		return `${minutes}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`;
	return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

const BYTE_UNITS = ['B', 'K', 'M', 'G', 'T'];

/** 1023B, 1.5K, 12M: at most five characters, binary units as top and htop print them. */
export function formatBytes(bytes: number): string {
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
		value /= 1024;
		unit++;
	}
	const digits = unit === 0 || value >= 10 ? 0 : 1;
	return `${value.toFixed(digits)}${BYTE_UNITS[unit]}`;
}

/** 950, 9.5k, 95k, 1.2M. */
export function formatCount(value: number): string {
	if (value < 1000) return String(Math.round(value));
	if (value < 10_000) return `${(value / 1000).toFixed(1)}k`;
	if (value < 1_000_000) return `${Math.round(value / 1000)}k`;
	return `${(value / 1_000_000).toFixed(1)}M`;
}

/** The C0 and C1 controls, DEL, and the bidirectional controls. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f]|[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes text from the network safe to put on a terminal: control characters (escape sequences
 * included), DEL and the C1 controls become visible `\xNN` escapes, so no byte a client sent can
 * move the cursor, change colours or retitle the window; the bidirectional controls (U+202E and its
 * kin) become `\uNNNN`, so none can turn a line around to show what it does not say.
 */
export function inert(text: string): string {
	return text.replace(UNSAFE, (character) => {
		const code = character.charCodeAt(0);
		// Bidirectional controls (U+202E turns the rest of the line around) are shown, not obeyed.
		return code > 0xff
			? `\\u${code.toString(16).padStart(4, '0')}`
			: `\\x${code.toString(16).padStart(2, '0')}`;
	});
}
