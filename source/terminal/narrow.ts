/**
 * Text of printable ASCII and the few other characters the dashboard draws with (Ink's round box
 * lines, the bars of a sparkline, ▼ … · →): each character a grapheme of its own, one column wide,
 * never an emoji, never combining. Such text is as wide as it is long. string-width (which Ink
 * measures every line with) finds the same by segmenting and testing every grapheme against its
 * emoji pattern, whose first use alone costs about 20 ms: the bundle gives it this shortcut
 * (scripts/bundle.mjs), and test/terminal/screen.test.ts checks every character against string-width.
 */
export const NARROW_TEXT = /^[\u0020-\u007E\u00B7\u2026\u2192\u2500-\u259F\u25BC]*$/;
