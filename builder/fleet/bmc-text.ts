// Text a BMC sent (a Redfish error message, a system id, a link, an allowed value) is untrusted:
// before it goes into an error message or a result it loses its control and format characters
// (terminal escapes, line breaks, bidirectional overrides: each run becomes one space) and is cut
// to a bounded length. Pure.

/** The longest BMC text quoted, in characters (code points); longer text ends in "...". */
export const QUOTE_MAX = 200;

// C0, DEL and C1 controls, format characters (zero-width, bidirectional marks and overrides) and
// the Unicode line and paragraph separators.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\u2028\u2029]+/gu;

/** `text` made safe to print: no control or format characters, at most `max` characters. */
export function quote(text: string, max = QUOTE_MAX): string {
  const clean = text.replace(UNPRINTABLE, ' ').replace(/\s+/g, ' ').trim();
  const chars = Array.from(clean);
  return chars.length <= max ? clean : `${chars.slice(0, max).join('').trimEnd()}...`;
}

/**
 * The message of a Redfish error body (`{"error": {...}}`), quoted: the first
 * `@Message.ExtendedInfo` entry's Message, else `error.message`; undefined without either.
 */
export function redfishErrorMessage(body: unknown): string | undefined {
  const error = field(body, 'error');
  const info = field(error, '@Message.ExtendedInfo');
  const first = Array.isArray(info) ? field(info[0], 'Message') : undefined;
  const text = typeof first === 'string' && first.trim() ? first : field(error, 'message');
  return typeof text === 'string' && text.trim() ? quote(text) : undefined;
}

/** `value[name]` when value is a JSON object holding that member itself, else undefined. */
export function field(value: unknown, name: string): unknown {
  return typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.hasOwn(value, name)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}
