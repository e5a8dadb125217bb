/** Attributes never written to the audit trail with their values (SPEC §3.7). */
const SECRET = new Set(['password']);

export type Changes = Record<string, { before?: unknown; after?: unknown; changed?: true }>;

/** Top-level attributes that differ between two canonical resources, with before/after values. */
export function diffResources(before: Record<string, unknown>, after: Record<string, unknown>): Changes {
  const changes: Changes = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[key];
    const b = after[key];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (SECRET.has(key)) {
      changes[key] = { changed: true };
      continue;
    }
    changes[key] = {};
    if (a !== undefined) changes[key].before = a;
    if (b !== undefined) changes[key].after = b;
  }
  return changes;
}
