// Requests Okta's SCIM 2.0 client sends that need a word. Source: Okta developer docs, "Okta and
// SCIM Version 2.0" (developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20).
//
// Shapes that need no special code, covered by tests in test/scim/patch-*.test.ts:
// - deactivate: `{"op":"replace","value":{"active":false}}` (RFC 7644 §3.5.2.3 without path);
// - add members: `{"op":"add","path":"members","value":[{"value":"<id>","display":"<userName>"}]}`
//   (`display` is readOnly and dropped, RFC 7643 §4.2);
// - remove a member: `{"op":"remove","path":"members[value eq \"<id>\"]"}`.

/**
 * Okta renames a group with `{"op":"replace","value":{"id":"<group id>","displayName":"New"}}`:
 * the resource's own `id` rides along in a path-less value. `id` is readOnly (RFC 7643 §3.1) and
 * a client "MUST NOT modify" it (RFC 7644 §3.5.2), but repeating the id the request is sent to
 * modifies nothing, so that key is skipped; any other id is a change, refused like `path: "id"`.
 * `schemas` in a path-less value names the schemas its attributes come from (RFC 7643 §3) and is
 * not an attribute of the resource: skipped. (`meta` is an attribute, readOnly: refused.)
 */
export function resourceIdentityKey(key: string, value: unknown, resourceId: string | undefined): 'describes-resource' | 'changes-id' | undefined {
  const lower = key.toLowerCase();
  if (lower === 'schemas') return 'describes-resource';
  if (lower !== 'id') return undefined;
  // Ids are UUIDs, whose hex digits may come in either case.
  const same = typeof value === 'string' && resourceId !== undefined && value.toLowerCase() === resourceId.toLowerCase();
  return same ? 'describes-resource' : 'changes-id';
}
