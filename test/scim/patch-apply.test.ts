import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePatchRequest } from '../../src/scim/patch/parse.ts';
import { applyPatch } from '../../src/scim/patch/apply.ts';
import { compileValueFilter, matchesValueFilter } from '../../src/scim/patch/value-filter.ts';
import type { CanonicalResource } from '../../src/scim/patch/types.ts';
import type { AttributeDef, ResourceTypeName } from '../../src/scim/schema-types.ts';
import { assertScimError } from '../helpers/assert-scim.ts';
import fc from 'fast-check';
import { MAX_ATTRIBUTE_VALUES } from '../../src/scim/bounds.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const body = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });
const patchAs = (type: ResourceTypeName, resource: CanonicalResource, ...ops: unknown[]) => applyPatch(type, resource, parsePatchRequest(type, body(...ops)));
const patch = (resource: CanonicalResource, ...ops: unknown[]) => patchAs('User', resource, ...ops);


function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const babs = (): CanonicalResource => ({
  userName: 'bjensen',
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  title: 'Tour Guide',
  active: true,
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  addresses: [
    { type: 'work', streetAddress: '100 Universal City Plaza', locality: 'Hollywood', postalCode: '91608' },
    { type: 'home', streetAddress: '456 Hollywood Blvd', locality: 'Hollywood' },
  ],
  [ENTERPRISE]: { department: 'Tours', manager: { value: 'm1' } },
});

const group = (...members: string[]): CanonicalResource => ({ displayName: 'Tour Guides', members: members.map((value) => ({ value })) });

describe('applyPatch — RFC 7644 §3.5.2.1 add', () => {
  it('adds a member to a group, keeping the others', () => {
    const out = patchAs('Group', group('a'), { op: 'add', path: 'members', value: [{ display: 'Babs Jensen', $ref: 'https://example.com/v2/Users/b', value: 'b' }] });
    assert.deepEqual(out.members, [{ value: 'a' }, { value: 'b', $ref: 'https://example.com/v2/Users/b' }]);
  });
  it('without path, adds each attribute of the value: an e-mail is appended, a nickname set', () => {
    const out = patch(babs(), { op: 'add', value: { emails: [{ value: 'babs@example.com', type: 'home' }], nickName: 'Babs' } });
    assert.equal((out.emails as unknown[]).length, 3);
    assert.deepEqual((out.emails as unknown[])[2], { value: 'babs@example.com', type: 'home' });
    assert.equal(out.nickName, 'Babs');
  });
  it('to a single-valued attribute replaces its value', () => {
    assert.equal(patch(babs(), { op: 'add', path: 'title', value: 'Boss' }).title, 'Boss');
  });
  it('to a complex attribute merges the given sub-attributes', () => {
    const out = patch(babs(), { op: 'add', path: 'name', value: { middleName: 'Jane', givenName: 'Babs' } });
    assert.deepEqual(out.name, { givenName: 'Babs', familyName: 'Jensen', middleName: 'Jane' });
  });
  it('to a sub-attribute creates the complex attribute when missing', () => {
    assert.deepEqual(patch({ userName: 'a' }, { op: 'add', path: 'name.givenName', value: 'A' }).name, { givenName: 'A' });
  });
  it('does not add a value twice: same value (case-insensitive for e-mails) merges into the present one', () => {
    const out = patch(babs(), { op: 'add', path: 'emails', value: [{ value: 'BABS@jensen.org', type: 'home' }] });
    assert.equal((out.emails as unknown[]).length, 2);
    const same = patch(babs(), { op: 'add', path: 'emails', value: [{ value: 'babs@jensen.org', type: 'home' }] });
    assert.deepEqual(same, babs());
  });
  it('to a filtered sub-attribute sets it on matching elements', () => {
    const out = patch(babs(), { op: 'add', path: 'emails[type eq "work"].display', value: 'Work' });
    assert.deepEqual((out.emails as unknown[])[0], { value: 'bjensen@example.com', type: 'work', primary: true, display: 'Work' });
  });
  it('to a filtered element merges the value into matching elements', () => {
    const out = patch(babs(), { op: 'add', path: 'addresses[type eq "home"]', value: { postalCode: '91609' } });
    assert.deepEqual((out.addresses as unknown[])[1], { type: 'home', streetAddress: '456 Hollywood Blvd', locality: 'Hollywood', postalCode: '91609' });
  });
  it('to a filtered path with no match creates the element the filter describes (Entra)', () => {
    const out = patch({ userName: 'a' }, { op: 'Add', path: 'addresses[type eq "work"].formatted', value: 'Columbus' });
    assert.deepEqual(out.addresses, [{ type: 'work', formatted: 'Columbus' }]);
    const two = patch({ userName: 'a' }, { op: 'add', path: 'emails[type eq "work" and primary eq true].value', value: 'a@x.se' });
    assert.deepEqual(two.emails, [{ type: 'work', primary: true, value: 'a@x.se' }]);
  });
  it('to a filtered path with no match and a filter that describes no element is 400 noTarget', () => {
    assertScimError(() => patch(babs(), { op: 'add', path: 'emails[value co "nobody"].display', value: 'x' }), 400, 'noTarget');
    assertScimError(() => patch(babs(), { op: 'add', path: 'emails[type eq "other" or type eq "x"].display', value: 'x' }), 400, 'noTarget');
  });
  it('creates the extension object for an extension attribute', () => {
    const out = patch({ userName: 'a' }, { op: 'add', path: `${ENTERPRISE}:department`, value: 'X' });
    assert.deepEqual(out[ENTERPRISE], { department: 'X' });
  });
  it('of null changes nothing (RFC 7643 §2.5)', () => {
    assert.deepEqual(patch(babs(), { op: 'add', path: 'title', value: null }), babs());
  });
  it('stores a password (writeOnly) for the caller to hash', () => {
    assert.equal(patch(babs(), { op: 'add', path: 'password', value: 't1ck3t' }).password, 't1ck3t');
  });
});

describe('applyPatch — RFC 7644 §3.5.2.2 remove', () => {
  it('removes one member by filter', () => {
    assert.deepEqual(patchAs('Group', group('a', 'b', 'c'), { op: 'remove', path: 'members[value eq "b"]' }).members, [{ value: 'a' }, { value: 'c' }]);
  });
  it('removes all members, then adds one, in one request', () => {
    const out = patchAs('Group', group('a', 'b'), { op: 'remove', path: 'members' }, { op: 'add', path: 'members', value: [{ value: 'z' }] });
    assert.deepEqual(out.members, [{ value: 'z' }]);
  });
  it('removes the listed members when remove carries a value array (Entra)', () => {
    const out = patchAs('Group', group('a', 'b', 'c'), { op: 'Remove', path: 'members', value: [{ $ref: null, value: 'a' }, { value: 'C' }] });
    assert.deepEqual(out.members, [{ value: 'b' }]);
  });
  it('removes a single-valued attribute, a sub-attribute, and an emptied complex attribute', () => {
    const out = patch(babs(), { op: 'remove', path: 'title' }, { op: 'remove', path: 'name.givenName' });
    assert.equal('title' in out, false);
    assert.deepEqual(out.name, { familyName: 'Jensen' });
    assert.equal('name' in patch(out, { op: 'remove', path: 'name.familyName' }), false);
  });
  it('removes a sub-attribute of the matching elements', () => {
    const out = patch(babs(), { op: 'remove', path: 'emails[type eq "work"].primary' });
    assert.deepEqual((out.emails as unknown[])[0], { value: 'bjensen@example.com', type: 'work' });
  });
  it('removes matching elements; the attribute goes when none remain', () => {
    const out = patch(babs(), { op: 'remove', path: 'emails[type eq "work"]' });
    assert.deepEqual(out.emails, [{ value: 'babs@jensen.org', type: 'home' }]);
    assert.equal('emails' in patch(out, { op: 'remove', path: 'emails[type eq "home"]' }), false);
  });
  it('with a filter that matches nothing is a no-op, so a retried removal succeeds', () => {
    assert.deepEqual(patch(babs(), { op: 'remove', path: 'emails[type eq "other"]' }), babs());
    assert.deepEqual(patch(babs(), { op: 'remove', path: 'nickName' }), babs());
  });
  it('removes an extension attribute, and the extension object once empty', () => {
    const out = patch(babs(), { op: 'remove', path: `${ENTERPRISE}:department` }, { op: 'remove', path: `${ENTERPRISE}:manager` });
    assert.equal(ENTERPRISE in out, false);
    assert.equal(ENTERPRISE in patch(babs(), { op: 'remove', path: ENTERPRISE }), false);
  });
  it('of a required attribute is 400 mutability', () => {
    assertScimError(() => patch(babs(), { op: 'remove', path: 'userName' }), 400, 'mutability', /required/);
    assertScimError(() => patchAs('Group', group('a'), { op: 'remove', path: 'displayName' }), 400, 'mutability');
  });
});

describe('applyPatch — RFC 7644 §3.5.2.3 replace', () => {
  it('replaces all members of a group', () => {
    const out = patchAs('Group', group('a', 'b'), { op: 'replace', path: 'members', value: [{ value: 'c' }, { value: 'd' }] });
    assert.deepEqual(out.members, [{ value: 'c' }, { value: 'd' }]);
  });
  it('replaces the matching element whole', () => {
    const value = { type: 'work', streetAddress: '911 Universal City Plaza', locality: 'Hollywood', region: 'CA', postalCode: '91608', country: 'US', primary: true };
    const out = patch(babs(), { op: 'replace', path: 'addresses[type eq "work"]', value });
    assert.deepEqual((out.addresses as unknown[])[0], value);
    assert.deepEqual((out.addresses as unknown[])[1], (babs().addresses as unknown[])[1]);
  });
  it('replaces a sub-attribute of the matching element', () => {
    const out = patch(babs(), { op: 'replace', path: 'addresses[type eq "work"].streetAddress', value: '1010 Broadway Ave' });
    assert.equal((out.addresses as { streetAddress: string }[])[0].streetAddress, '1010 Broadway Ave');
  });
  it('without path replaces each attribute: e-mails whole, nickname set', () => {
    const out = patch(babs(), { op: 'replace', value: { emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }], nickName: 'Babs' } });
    assert.deepEqual(out.emails, [{ value: 'bjensen@example.com', type: 'work', primary: true }]);
    assert.equal(out.nickName, 'Babs');
  });
  it('of a complex attribute leaves unnamed sub-attributes unchanged', () => {
    assert.deepEqual(patch(babs(), { op: 'replace', path: 'name', value: { givenName: 'Babs' } }).name, { givenName: 'Babs', familyName: 'Jensen' });
  });
  it('with a filter that matches nothing is 400 noTarget', () => {
    assertScimError(() => patch(babs(), { op: 'replace', path: 'emails[type eq "other"].value', value: 'x@x.se' }), 400, 'noTarget', /emails\[type eq "other"\]/);
    assertScimError(() => patch(babs(), { op: 'replace', path: 'emails[type eq "other"]', value: { value: 'x@x.se' } }), 400, 'noTarget');
    assertScimError(() => patch({ userName: 'a' }, { op: 'replace', path: 'emails.value', value: 'x@x.se' }), 400, 'noTarget');
  });
  it('with null removes the attribute; a required one is 400 invalidValue', () => {
    assert.equal('title' in patch(babs(), { op: 'replace', path: 'title', value: null }), false);
    assertScimError(() => patch(babs(), { op: 'replace', path: 'userName', value: null }), 400, 'invalidValue', /required/);
  });
  it('matches filter values case-insensitively unless the sub-attribute is caseExact', () => {
    const out = patch(babs(), { op: 'replace', path: 'emails[type eq "WORK"].display', value: 'W' });
    assert.equal((out.emails as { display?: string }[])[0].display, 'W');
  });
});

describe('applyPatch — primary (RFC 7643 §2.4)', () => {
  it('adding a primary e-mail makes the others non-primary', () => {
    const out = patch(babs(), { op: 'add', path: 'emails', value: [{ value: 'new@x.se', type: 'other', primary: true }] });
    assert.deepEqual(
      (out.emails as { primary?: boolean }[]).map((e) => e.primary),
      [false, undefined, true],
    );
  });
  it('setting primary through a filter moves it', () => {
    const out = patch(babs(), { op: 'replace', path: 'emails[type eq "home"].primary', value: true });
    assert.deepEqual(
      (out.emails as { primary?: boolean }[]).map((e) => e.primary),
      [false, true],
    );
  });
  it('re-adding an existing e-mail as primary moves it too', () => {
    const out = patch(babs(), { op: 'add', path: 'emails', value: [{ value: 'babs@jensen.org', primary: true }] });
    assert.deepEqual(
      (out.emails as { primary?: boolean }[]).map((e) => e.primary),
      [false, true],
    );
  });
  it('making two elements primary in one operation is 400 invalidValue', () => {
    const user = { ...babs(), emails: [{ value: 'a@x.se', type: 'work' }, { value: 'b@x.se', type: 'work' }] };
    assertScimError(() => patch(user, { op: 'replace', path: 'emails[type eq "work"].primary', value: true }), 400, 'invalidValue', /primary/);
  });
});

describe('applyPatch — values already present (RFC 7644 §3.5.2.1, §3.5.2.2)', () => {
  it('an address given again as primary is the address already there, made primary', () => {
    const home = { type: 'home', streetAddress: '456 Hollywood Blvd', locality: 'Hollywood' };
    const out = patch(babs(), { op: 'add', path: 'addresses', value: [{ ...home, primary: true }] });
    assert.equal((out.addresses as unknown[]).length, 2);
    assert.deepEqual((out.addresses as unknown[])[1], { ...home, primary: true });
  });
  it('a remove by value list removes every value it names, duplicates included', () => {
    const stored = { userName: 'd', emails: [{ value: 'a@x.se' }, { value: 'b@x.se' }, { value: 'A@x.se', type: 'home' }] };
    assert.deepEqual(patch(stored, { op: 'remove', path: 'emails', value: [{ value: 'a@X.se' }] }).emails, [{ value: 'b@x.se' }]);
  });
  it('gives the same resource whether the operations come in one request or one by one (property)', () => {
    const value = fc.constantFrom('a@x.se', 'A@x.se', 'b@x.se', 'c@x.se', 'B@X.SE');
    const email = fc.record({ value, type: fc.constantFrom('work', 'home'), primary: fc.boolean() }, { requiredKeys: ['value'] });
    const op = fc.oneof(
      fc.record({ op: fc.constant('add'), path: fc.constant('emails'), value: fc.array(email, { maxLength: 3 }) }),
      fc.record({ op: fc.constant('remove'), path: fc.constant('emails'), value: fc.array(fc.record({ value }), { minLength: 1, maxLength: 2 }) }),
      fc.record({ op: fc.constant('replace'), path: fc.constant('emails'), value: fc.array(email, { maxLength: 3 }) }),
      fc.record({ op: fc.constant('replace'), path: fc.constantFrom('emails[type eq "home"].value', 'emails[value eq "a@x.se"].type'), value: fc.constantFrom('c@x.se', 'work') }),
      fc.record({ op: fc.constant('remove'), path: fc.constantFrom('emails[type eq "work"]', 'emails.primary', 'emails[value sw "b"].type') }),
    );
    const outcome = (run: () => CanonicalResource) => {
      try {
        return run();
      } catch (err) {
        return (err as Error).message;
      }
    };
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 8 }), (ops) => {
        const together = outcome(() => patch({ userName: 'p' }, ...ops));
        const oneByOne = outcome(() => ops.reduce((resource: CanonicalResource, o) => patch(resource, o), { userName: 'p' }));
        // A request is parsed whole before it is applied, so which refusal comes first may differ.
        if (typeof together === 'string') assert.equal(typeof oneByOne, 'string', together);
        else assert.deepEqual(together, oneByOne);
      }),
      { numRuns: 500 },
    );
  });
});

describe(`applyPatch — at most ${MAX_ATTRIBUTE_VALUES} values of a User attribute (SPEC §5.4)`, () => {
  const emails = (n: number, prefix = 'e') => Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}@x.se` }));
  it('after every operation: reaching the bound is accepted, passing it refused, even if a later operation would shrink it', () => {
    assert.equal((patch({ userName: 'b' }, { op: 'add', path: 'emails', value: emails(MAX_ATTRIBUTE_VALUES) }).emails as unknown[]).length, MAX_ATTRIBUTE_VALUES);
    assertScimError(() => patch({ userName: 'b' }, { op: 'add', path: 'emails', value: emails(MAX_ATTRIBUTE_VALUES + 1) }), 400, 'invalidValue', /'emails' has 101 values; a multi-valued attribute may hold at most 100/);
    assertScimError(
      () => patch({ userName: 'b' }, { op: 'replace', path: 'phoneNumbers', value: emails(150) }, { op: 'remove', path: 'phoneNumbers' }),
      400,
      'invalidValue',
      /'phoneNumbers' has 150 values/,
    );
    assertScimError(
      () => patch({ userName: 'b', emails: emails(MAX_ATTRIBUTE_VALUES) }, { op: 'add', path: 'emails[type eq "work"].value', value: 'one.more@x.se' }),
      400,
      'invalidValue',
      /has 101 values/,
    );
  });
  it('counts values, not repeats of one value', () => {
    const out = patch({ userName: 'b', emails: emails(MAX_ATTRIBUTE_VALUES) }, { op: 'add', path: 'emails', value: [...emails(MAX_ATTRIBUTE_VALUES), ...emails(MAX_ATTRIBUTE_VALUES)] });
    assert.equal((out.emails as unknown[]).length, MAX_ATTRIBUTE_VALUES);
  });
  it('leaves Group members to the per-request bound', () => {
    const members = Array.from({ length: 500 }, (_, i) => ({ value: `m${i}` }));
    assert.equal((patchAs('Group', group(), { op: 'add', path: 'members', value: members }).members as unknown[]).length, 500);
  });
});

describe('applyPatch — immutable attributes (RFC 7644 §3.5.2)', () => {
  it('a member value cannot be changed in place', () => {
    assertScimError(() => patchAs('Group', group('a'), { op: 'replace', path: 'members[value eq "a"].value', value: 'b' }), 400, 'mutability', /immutable/);
    assertScimError(() => patchAs('Group', group('a'), { op: 'replace', path: 'members[value eq "a"]', value: { value: 'b' } }), 400, 'mutability');
    assertScimError(() => patchAs('Group', group('a'), { op: 'remove', path: 'members[value eq "a"].value' }), 400, 'mutability');
  });
  it('an immutable sub-attribute without a value may be added', () => {
    const out = patchAs('Group', group('a'), { op: 'add', path: 'members[value eq "a"].type', value: 'User' });
    assert.deepEqual(out.members, [{ value: 'a', type: 'User' }]);
    assertScimError(() => patchAs('Group', out, { op: 'add', path: 'members[value eq "a"].type', value: 'Group' }), 400, 'mutability');
  });
});

describe('applyPatch — purity and atomicity', () => {
  it('never mutates the input and returns a new object', () => {
    const input = deepFreeze(babs());
    const out = patch(
      input,
      { op: 'add', path: 'emails', value: [{ value: 'n@x.se', primary: true }] },
      { op: 'replace', path: 'name.givenName', value: 'B' },
      { op: 'remove', path: `${ENTERPRISE}:manager` },
      { op: 'replace', path: 'addresses[type eq "home"].locality', value: 'LA' },
    );
    assert.notEqual(out, input);
    assert.deepEqual(input, babs());
    assert.equal((out.name as { givenName: string }).givenName, 'B');
  });
  it('does not share values with the operations: applying the same operations twice gives the same result', () => {
    const ops = parsePatchRequest('User', body({ op: 'add', path: 'emails', value: [{ value: 'n@x.se' }] }, { op: 'add', path: 'emails[value eq "n@x.se"].display', value: 'N' }));
    const first = applyPatch('User', { userName: 'a' }, ops);
    const second = applyPatch('User', { userName: 'a' }, ops);
    assert.deepEqual(first, second);
    assert.deepEqual(ops[0].value, [{ value: 'n@x.se' }]);
  });
  it('throws when a later operation fails and leaves the input unchanged', () => {
    const input = deepFreeze(babs());
    assertScimError(
      () => patch(input, { op: 'replace', path: 'title', value: 'Boss' }, { op: 'replace', path: 'emails[type eq "pager"].value', value: 'x' }),
      400,
      'noTarget',
    );
    assert.deepEqual(input, babs());
  });
  it('refuses operations parsed for another resource type', () => {
    const ops = parsePatchRequest('User', body({ op: 'replace', path: 'title', value: 'x' }));
    assertScimError(() => applyPatch('Group', group(), ops), 400, 'invalidPath');
  });
});

describe('applyPatch — Entra ID request shapes', () => {
  it('"Replace multiple attributes" before aadOptscim062020 (one op per path, capitalised)', () => {
    const out = patch(
      babs(),
      { op: 'Replace', path: 'displayName', value: 'Pvlo' },
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'TestBcwqnm@test.microsoft.com' },
      { op: 'Replace', path: 'name.givenName', value: 'Ysmwilbpqkmtlq' },
      { op: 'Replace', path: 'name.familyName', value: 'Ymfapcbeqhpbo' },
      { op: 'Replace', path: 'externalId', value: 'Eqpj' },
      { op: 'Replace', path: `${ENTERPRISE}:employeeNumber`, value: 'Wewrmkmx' },
    );
    assert.equal(out.displayName, 'Pvlo');
    assert.equal((out.emails as { value: string }[])[0].value, 'TestBcwqnm@test.microsoft.com');
    assert.deepEqual(out.name, { givenName: 'Ysmwilbpqkmtlq', familyName: 'Ymfapcbeqhpbo' });
    assert.equal(out.externalId, 'Eqpj');
    assert.equal((out[ENTERPRISE] as { employeeNumber: string }).employeeNumber, 'Wewrmkmx');
  });
  it('the same after aadOptscim062020 (one replace without path, paths as keys)', () => {
    const out = patch(babs(), {
      op: 'replace',
      value: {
        displayName: 'Pvlo',
        'emails[type eq "work"].value': 'TestBcwqnm@test.microsoft.com',
        'name.givenName': 'Ysmwilbpqkmtlq',
        'name.familyName': 'Ymfapcbeqhpbo',
        externalId: 'Eqpj',
        [`${ENTERPRISE}:employeeNumber`]: 'Wewrmkmx',
      },
    });
    assert.equal((out.emails as { value: string }[])[0].value, 'TestBcwqnm@test.microsoft.com');
    assert.equal((out[ENTERPRISE] as { employeeNumber: string; department: string }).employeeNumber, 'Wewrmkmx');
    assert.equal((out[ENTERPRISE] as { department: string }).department, 'Tours');
  });
  it('disables a user with "False" as a string', () => {
    assert.equal(patch(babs(), { op: 'Replace', path: 'active', value: 'False' }).active, false);
    assert.equal(patch(babs(), { op: 'Replace', value: { active: 'False' } }).active, false);
  });
  it('sets the manager with a bare id', () => {
    const out = patch({ userName: 'a' }, { op: 'Add', path: `${ENTERPRISE}:manager`, value: '271' });
    assert.deepEqual(out[ENTERPRISE], { manager: { value: '271' } });
  });
  it('sets the manager from the tutorial example: path "manager", value [{"$ref","value"}]', () => {
    const out = patch(babs(), { op: 'Add', path: 'manager', value: [{ $ref: 'https://x/scim/v2/Users/m2', value: 'm2' }] });
    assert.deepEqual(out[ENTERPRISE], { department: 'Tours', manager: { value: 'm2', $ref: 'https://x/scim/v2/Users/m2' } });
  });
  it('adds a work e-mail by filtered path when the user had none', () => {
    const out = patch({ userName: 'a' }, { op: 'Add', path: 'emails[type eq "work"].value', value: 'a@x.se' }, { op: 'Add', path: 'emails[type eq "work"].primary', value: 'True' });
    assert.deepEqual(out.emails, [{ type: 'work', value: 'a@x.se', primary: true }]);
  });
});

describe('applyPatch — Okta request shapes', () => {
  it('deactivates with replace without path', () => {
    assert.equal(patch(babs(), { op: 'replace', value: { active: false } }).active, false);
  });
  it('sets a password with replace without path', () => {
    assert.equal(patch(babs(), { op: 'replace', value: { password: 'n3w' } }).password, 'n3w');
  });
});

describe('value filters evaluated over one element', () => {
  const sub = (name: string, type: AttributeDef['type'], caseExact = false): AttributeDef => ({
    name,
    type,
    caseExact,
    multiValued: false,
    required: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
  });
  const attribute: AttributeDef = {
    ...sub('things', 'complex'),
    multiValued: true,
    subAttributes: [sub('value', 'string'), sub('code', 'string', true), sub('rank', 'integer'), sub('ok', 'boolean'), sub('when', 'dateTime')],
  };
  const element = { value: 'Hello World', code: 'AbC', rank: 5, ok: true, when: '2026-03-01T10:00:00Z' };
  const matches = (text: string, e: unknown = element) => matchesValueFilter(compileValueFilter(attribute, text), attribute, e);

  it('compares strings per caseExact', () => {
    assert.equal(matches('value eq "hello world"'), true);
    assert.equal(matches('code eq "abc"'), false);
    assert.equal(matches('code eq "AbC"'), true);
    assert.equal(matches('code ne "abc"'), true);
  });
  it('supports co, sw, ew, gt, ge, lt, le on strings', () => {
    assert.equal(matches('value co "LO wo"'), true);
    assert.equal(matches('value sw "hello"'), true);
    assert.equal(matches('value ew "WORLD"'), true);
    assert.equal(matches('code co "B"'), false);
    assert.equal(matches('value gt "hello"'), true);
    assert.equal(matches('value ge "hello world"'), true);
    assert.equal(matches('value lt "i"'), true);
    assert.equal(matches('value le "a"'), false);
  });
  it('orders numbers and dateTimes by value', () => {
    assert.equal(matches('rank gt 4'), true);
    assert.equal(matches('rank le 4'), false);
    assert.equal(matches('when gt "2026-02-28T23:00:00Z"'), true);
    assert.equal(matches('when lt "2026-03-01T11:00:00+02:00"'), false);
    assert.equal(matches('when eq "2026-03-01T12:00:00+02:00"'), true, 'the same instant written with an offset');
  });
  it('compares booleans and handles pr, and, or, not', () => {
    assert.equal(matches('ok eq true'), true);
    assert.equal(matches('ok ne true'), false);
    assert.equal(matches('value pr'), true);
    assert.equal(matches('code pr'), true);
    assert.equal(matches('value pr', { code: 'x' }), false);
    assert.equal(matches('value pr', { value: '' }), false);
    assert.equal(matches('ok eq true and rank gt 10'), false);
    assert.equal(matches('ok eq false or rank gt 1'), true);
    assert.equal(matches('not (rank gt 1)'), false);
  });
  it('an unassigned value matches eq null and nothing else', () => {
    assert.equal(matches('value eq null', {}), true);
    assert.equal(matches('value ne null', {}), false);
    assert.equal(matches('value eq "x"', {}), false);
    assert.equal(matches('value ne null'), true);
  });
  it('refuses a nested value filter (invalidFilter)', () => {
    assertScimError(() => compileValueFilter(attribute, 'value[code eq "x"]'), 400, 'invalidFilter');
  });
});
