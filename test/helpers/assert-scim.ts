import assert from 'node:assert/strict';
import { ScimError, type ScimType } from '../../src/scim/scim-error.ts';

/** Asserts that `fn` throws the ScimError a client would receive: status, scimType, and detail. */
export function assertScimError(fn: () => unknown, status: number, scimType: ScimType | undefined, detail?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ScimError, `expected a ScimError, got ${String(e)}`);
    assert.equal(e.status, status);
    assert.equal(e.scimType, scimType, e.message);
    if (detail) assert.match(e.message, detail);
    return true;
  });
}
