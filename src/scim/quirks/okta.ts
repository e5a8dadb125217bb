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
 * targeting it is a mutability error, but here it only identifies the resource, so path-less keys
 * `id` and `schemas` are skipped.
 */
export function isResourceIdentityKey(key: string): boolean {
  const lower = key.toLowerCase();
  return lower === 'id' || lower === 'schemas';
}
