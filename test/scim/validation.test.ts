import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceValidator } from '../../src/scim/validation.ts';
import { ENTERPRISE_USER, IDM_USER, schemaRegistry } from '../../src/scim/schema-registry.ts';
import { ScimError } from '../../src/scim/scim-error.ts';

describe('ResourceValidator: the JSON Schema gate generated from schemas/', () => {
  const validator = new ResourceValidator(schemaRegistry());
  const refuses = (resource: Record<string, unknown>, detail: RegExp) =>
    assert.throws(() => validator.check('User', resource), (err: unknown) => err instanceof ScimError && err.status === 400 && err.scimType === 'invalidValue' && detail.test(err.message));

  it('accepts a full user with the enterprise extension', () => {
    validator.check('User', {
      userName: 'a',
      name: { givenName: 'A', familyName: 'B' },
      active: true,
      emails: [{ value: 'a@x.se', type: 'work', primary: true }],
      password: 'Hemligt123',
      [ENTERPRISE_USER]: { department: 'X', manager: { value: 'm' } },
    });
  });

  it('refuses what a client must not store', () => {
    refuses({ name: { givenName: 'A' } }, /userName is required/);
    refuses({ userName: 1 }, /userName must be string/);
    refuses({ userName: 'a', active: 'yes' }, /active must be boolean/);
    refuses({ userName: 'a', emails: [{ value: 7 }] }, /emails\.0\.value must be string/);
    refuses({ userName: 'a', emails: { value: 'x' } }, /emails must be array/);
    refuses({ userName: 'a', title: 'x'.repeat(3000) }, /title must NOT have more than 2048 characters/);
    refuses({ userName: 'a', shoeSize: 44 }, /unknown attribute "shoeSize"/);
    refuses({ userName: 'a', groups: [] }, /unknown attribute "groups"/);
    refuses({ userName: 'a', [IDM_USER]: { services: [] } }, /unknown attribute/);
    refuses({ userName: 'a', [ENTERPRISE_USER]: { manager: { displayName: 'read-only' } } }, /unknown attribute "displayName"/);
  });
});
