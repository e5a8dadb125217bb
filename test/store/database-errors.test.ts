import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isTransient, scimErrorFromDatabase } from '../../src/store/database-errors.ts';

describe('database errors a client can cause, as SCIM errors', () => {
  it('a unique violation is 409 uniqueness naming the attribute', () => {
    const error = scimErrorFromDatabase({ code: '23505', constraint: 'users_org_external_id' });
    assert.deepEqual([error?.status, error?.scimType], [409, 'uniqueness']);
    assert.match(error!.message, /externalId/);
  });

  it('a value PostgreSQL cannot store or compare (class 22) is 400 invalidValue with the SQLSTATE', () => {
    const error = scimErrorFromDatabase({ code: '22P05' });
    assert.deepEqual([error?.status, error?.scimType], [400, 'invalidValue']);
    assert.match(error!.message, /22P05/);
  });

  it('a deadlock or serialization failure is 409 that says the request can be sent again', () => {
    for (const code of ['40P01', '40001']) {
      assert.ok(isTransient({ code }));
      const error = scimErrorFromDatabase({ code });
      assert.equal(error?.status, 409);
      assert.match(error!.message, /sent again/);
    }
  });

  it('anything else stays a server error', () => {
    for (const err of [{ code: '53300' }, { code: '42P01' }, new Error('connection lost'), undefined]) {
      assert.equal(scimErrorFromDatabase(err), undefined);
      assert.equal(isTransient(err), false);
    }
  });
});
