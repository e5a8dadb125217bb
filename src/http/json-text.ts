/** SPEC §5.4: no JSON body may nest arrays and objects deeper than this. */
export const MAX_JSON_DEPTH = 32;

export interface JsonTextShape {
  /** The nesting went past the bound; the scan stopped there. */
  tooDeep: boolean;
  /** A string (value or key) holds the escape \u0000, which PostgreSQL cannot store. */
  hasNul: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
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
  let inString = false;
  let hasNul = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === QUOTE) inString = false;
      else if (c === BACKSLASH) {
        if (text.startsWith('u0000', i + 1)) hasNul = true;
        i++; // the escaped character cannot end the string
      }
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > maxDepth) return { tooDeep: true, hasNul };
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--;
  }
  return { tooDeep: false, hasNul };
}
