/** SPEC §5.4: no JSON body may nest arrays and objects deeper than this. */
export const MAX_JSON_DEPTH = 32;

export interface JsonTextShape {
  /** The nesting went past the bound; the scan stopped there. */
  tooDeep: boolean;
  /** A string (value or key) holds the escape \u0000, which PostgreSQL cannot store. */
  hasNul: boolean;
}

const QUOTE = 0x22;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * One pass over the text of a JSON body, before JSON.parse builds anything: the nesting depth of
 * arrays and objects outside strings, and whether a string holds U+0000. JSON (RFC 8259 §7) can
 * only carry U+0000 in a string as the escape \u0000 (a raw control character is a syntax error),
 * so no walk over the parsed value is needed, however it is shaped. Invalid JSON may pass; the
 * parser refuses it next.
 */
export function scanJsonText(text: string, maxDepth = MAX_JSON_DEPTH): JsonTextShape {
  let depth = 0;
  let hasNul = false;
  // Strings are jumped over with indexOf, much faster than a loop over their characters (a
  // 10,000-member PATCH is almost all strings); the next backslash is looked up only once passed.
  let backslash = text.indexOf('\\');
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (;;) {
        const quote = text.indexOf('"', i + 1);
        if (quote === -1) return { tooDeep: false, hasNul }; // unterminated: the parser refuses it
        if (backslash !== -1 && backslash < i + 1) backslash = text.indexOf('\\', i + 1);
        if (backslash === -1 || backslash > quote) {
          i = quote;
          break;
        }
        if (text.startsWith('u0000', backslash + 1)) hasNul = true;
        i = backslash + 1; // the escaped character cannot end the string
      }
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > maxDepth) return { tooDeep: true, hasNul };
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
  return { tooDeep: false, hasNul };
}
