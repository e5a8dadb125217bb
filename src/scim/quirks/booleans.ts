/**
 * Microsoft Entra ID sends booleans as strings in PATCH values ("True", "False"), documented under
 * "Known issues and resolutions with SCIM 2.0 protocol compliance" of its provisioning service;
 * some HR connectors do the same in POST bodies. Accepted case-insensitively, nothing else.
 */
export function coerceBooleanString(value: unknown): boolean | undefined {
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  return undefined;
}
