import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isTransient } from '../../src/store/database-errors.ts';
import { scimErrorOf as scimErrorFromDatabase } from '../../src/http/outcome-errors.ts';

describe('database errors a client can cause, as SCIM errors', () => {
  it('a unique violation is 409 uniqueness naming the attribute', () => {
    const error = scimErrorFromDatabase({ code: '23505', constraint: 'users_org_external_id' });
    assert.deepEqual([error?.status, error?.scimType], [409, 'uniqueness']);
    assert.match(error!.message, /externalId/);
  });

  // Issue 10 item 9: this test used to require the SQLSTATE in the detail; no database detail
  // (SQLSTATE, PostgreSQL's message, a table or column name) may reach a client.
  it('a value PostgreSQL cannot store or compare (class 22) is 400 invalidValue in our own words, without SQLSTATE or PostgreSQL\'s message', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ code: '22P05', message: 'unsupported Unicode escape sequence', table: 'users', column: 'data' }, /character that cannot be stored/],
      [{ code: '22003', message: 'value "99999999999999999999" is out of range for type bigint', table: 'users' }, /number in the request is out of range/],
      [{ code: '22007', message: 'invalid input syntax for type timestamp with time zone: "x"', column: 'created_at' }, /date or time/],
      [{ code: '22023', message: 'invalid parameter value for jsonb_path_query', routine: 'jsonb_path' }, /cannot be stored or compared/],
    ];
    for (const [err, detail] of cases) {
      const error = scimErrorFromDatabase(err);
      assert.deepEqual([error?.status, error?.scimType], [400, 'invalidValue']);
      assert.match(error!.message, detail);
      const body = JSON.stringify(error!.toBody());
      for (const leak of [err.code, 'SQLSTATE', err.message, err.table, err.column, err.routine].filter(Boolean)) {
        assert.ok(!body.includes(leak!), `${body} names ${leak}`);
      }
    }
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
