// RFC 7644 §3.5.2: `PATH = attrPath / valuePath [subAttr]`, resolved against the schema registry.
// Errors outside the brackets are 400 invalidPath; errors inside them are 400 invalidFilter
// (RFC 7644 §3.12 lists invalidFilter for PATCH path filters).
import { badRequest } from '../scim-error.ts';
import { schemaRegistry } from '../schema-registry.ts';
import type { ResourceTypeName } from '../schema-types.ts';
import type { PatchPath } from './types.ts';
import { compileValueFilter } from './value-filter.ts';
import { qualifiedExtensionPath } from '../quirks/index.ts';

const invalidPath = (detail: string) => badRequest(detail, 'invalidPath');

/** Parses and resolves one path; canonical names, a compiled filter for a valuePath. */
export function parsePatchPath(type: ResourceTypeName, raw: string): PatchPath {
  const text = raw.trim();
  const open = text.indexOf('[');
  if (open === -1) return attributePath(type, text);
  const close = closingBracket(text, open);
  if (close === -1) throw invalidPath(`Path '${text}' has an unclosed '['`);
  const base = attributePath(type, text.slice(0, open));
  if (base.subAttribute || !base.attribute.multiValued || base.attribute.type !== 'complex') {
    throw invalidPath(`Path '${text}': a value filter needs a multi-valued complex attribute`);
  }
  const filter = compileValueFilter(base.attribute, text.slice(open + 1, close));
  const rest = text.slice(close + 1);
  if (rest === '') return { ...base, filter, text };
  const sub = rest.startsWith('.') ? base.attribute.subAttributes?.find((s) => s.name.toLowerCase() === rest.slice(1).toLowerCase()) : undefined;
  if (!sub) throw invalidPath(`Path '${text}': '${rest}' is not a sub-attribute of '${base.attribute.name}'`);
  return { ...base, subAttribute: sub, filter, text };
}

function attributePath(type: ResourceTypeName, text: string): PatchPath {
  const registry = schemaRegistry();
  const resolved = text === '' ? undefined : (registry.resolve(type, text) ?? resolveQualified(type, text));
  if (!resolved) throw invalidPath(`Path '${text}' names no attribute of ${type}`);
  return { ...resolved, text };
}

// Entra's "manager" without the enterprise URN (quirks/entra.ts qualifiedExtensionPath).
function resolveQualified(type: ResourceTypeName, text: string) {
  const qualified = qualifiedExtensionPath(schemaRegistry().model(type), text);
  return qualified ? schemaRegistry().resolve(type, qualified) : undefined;
}

/** Index of the `]` closing the `[` at `open`, skipping brackets inside quoted strings; -1 if none. */
function closingBracket(text: string, open: number): number {
  let quoted = false;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === ']') return i;
  }
  return -1;
}
