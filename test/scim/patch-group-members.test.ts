import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parsePatchRequest } from '../../src/scim/patch/parse.ts';
import { planGroupPatch, type GroupPatchPlan } from '../../src/scim/patch/group-members.ts';
import { MAX_PATCH_MEMBER_VALUES } from '../../src/scim/bounds.ts';
import { assertScimError } from '../helpers/assert-scim.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const IDM_GROUP = 'urn:identity-manager:params:scim:schemas:extension:2.0:Group';

/** The id of the group the requests are sent to. */
const GROUP_ID = 'abf4dd94';
const plan = (...Operations: unknown[]) => planGroupPatch(parsePatchRequest('Group', { schemas: [PATCH_OP], Operations }, GROUP_ID));
const members = (...ids: string[]) => ids.map((value) => ({ value }));


/** What the store does with a plan (groups-service): the final member set. */
function finalMembers(current: Set<string>, p: GroupPatchPlan): Set<string> {
  if (p.replaceWith) return new Set(p.replaceWith);
  const out = new Set(p.removeAll ? [] : current);
  for (const id of p.remove) out.delete(id);
  for (const id of p.add) out.add(id);
  return out;
}

const none = { add: [], remove: [], removeAll: false };

describe('planGroupPatch — PATCH /Groups/:id, the shapes clients send', () => {
  it('add with path "members" (RFC 7644 §3.5.2.1, Entra, Okta)', () => {
    assert.deepEqual(plan({ op: 'add', path: 'members', value: [{ value: 'u1', display: 'test.user@okta.local' }, { $ref: null, value: 'u2' }] }), { ...none, add: ['u1', 'u2'] });
    assert.deepEqual(plan({ op: 'Add', path: 'members', value: [{ $ref: null, value: 'u1' }] }), { ...none, add: ['u1'] });
  });
  it('add without path {members:[…]}', () => {
    assert.deepEqual(plan({ op: 'add', value: { members: members('u1') } }), { ...none, add: ['u1'] });
  });
  it('remove by filter members[value eq "…"] (Okta, Entra after aadOptscim062020)', () => {
    assert.deepEqual(plan({ op: 'remove', path: 'members[value eq "u1"]' }), { ...none, remove: ['u1'] });
  });
  it('remove by filter joined with or', () => {
    assert.deepEqual(plan({ op: 'remove', path: 'members[value eq "u1" or value eq "u2" or VALUE eq "u3"]' }), { ...none, remove: ['u1', 'u2', 'u3'] });
  });
  it('remove with path "members" and a value array (Entra)', () => {
    assert.deepEqual(plan({ op: 'Remove', path: 'members', value: [{ $ref: null, value: 'u1' }, { value: 'u2' }] }), { ...none, remove: ['u1', 'u2'] });
  });
  it('remove with path "members" and no value removes all', () => {
    assert.deepEqual(plan({ op: 'remove', path: 'members' }), { ...none, removeAll: true });
  });
  it('replace with path "members" or without path', () => {
    assert.deepEqual(plan({ op: 'replace', path: 'members', value: members('u1', 'u2') }), { ...none, replaceWith: ['u1', 'u2'] });
    assert.deepEqual(plan({ op: 'replace', value: { members: members('u3') } }), { ...none, replaceWith: ['u3'] });
    assert.deepEqual(plan({ op: 'replace', path: 'members', value: [] }), { ...none, replaceWith: [] });
    assert.deepEqual(plan({ op: 'replace', path: 'members', value: null }), { ...none, replaceWith: [] });
  });
  it('reports displayName for the caller to refuse a change (Okta sends the id along)', () => {
    assert.deepEqual(plan({ op: 'replace', value: { id: 'abf4dd94', displayName: 'Test SCIMv2' } }), { ...none, displayName: 'Test SCIMv2' });
    assert.deepEqual(plan({ op: 'Replace', path: 'displayName', value: 'New' }), { ...none, displayName: 'New' });
  });
  it('reports externalId (Entra maps objectId → externalId) for the caller', () => {
    assert.deepEqual(plan({ op: 'Replace', path: 'externalId', value: 'e1' }), { ...none, externalId: 'e1' });
    assert.deepEqual(plan({ op: 'remove', path: 'externalId' }), { ...none, externalId: null });
  });
  it('collapses repeated ids', () => {
    assert.deepEqual(plan({ op: 'add', path: 'members', value: members('u1', 'u1') }, { op: 'add', path: 'members', value: members('u1') }), { ...none, add: ['u1'] });
  });
});

describe('planGroupPatch — errors', () => {
  it('a member filter other than value eq is 400 invalidFilter', () => {
    assertScimError(() => plan({ op: 'remove', path: 'members[display co "x"]' }), 400, 'invalidFilter', /only 'value eq/);
    assertScimError(() => plan({ op: 'remove', path: 'members[value ne "x"]' }), 400, 'invalidFilter');
    assertScimError(() => plan({ op: 'remove', path: 'members[value eq "x" and type eq "User"]' }), 400, 'invalidFilter');
    assertScimError(() => plan({ op: 'remove', path: 'members[value pr]' }), 400, 'invalidFilter');
  });
  it('a member value that is not a string is 400 invalidValue', () => {
    assertScimError(() => plan({ op: 'add', path: 'members', value: [{ value: 42 }] }), 400, 'invalidValue', /members\[0\]\.value/);
    assertScimError(() => plan({ op: 'add', path: 'members', value: ['u1'] }), 400, 'invalidValue');
    assertScimError(() => plan({ op: 'add', path: 'members', value: [{ $ref: 'https://x/Users/u1' }] }), 400, 'invalidValue', /User id/);
    assertScimError(() => plan({ op: 'add', path: 'members', value: [{ value: '  ' }] }), 400, 'invalidValue');
  });
  it('a member of type Group is 400 invalidValue', () => {
    assertScimError(() => plan({ op: 'add', path: 'members', value: [{ value: 'g1', type: 'Group' }] }), 400, 'invalidValue', /only Users/);
    assert.deepEqual(plan({ op: 'add', path: 'members', value: [{ value: 'u1', type: 'User' }] }), { ...none, add: ['u1'] });
  });
  it('editing a member in place is 400 mutability (members are immutable, RFC 7643 §4.2)', () => {
    assertScimError(() => plan({ op: 'replace', path: 'members[value eq "u1"]', value: { value: 'u2' } }), 400, 'mutability');
    assertScimError(() => plan({ op: 'add', path: 'members[value eq "u1"].type', value: 'User' }), 400, 'mutability');
    assertScimError(() => plan({ op: 'replace', path: 'members.value', value: 'u2' }), 400, 'mutability');
  });
  it('readOnly and required group attributes are refused with mutability', () => {
    assertScimError(() => plan({ op: 'replace', path: 'id', value: 'x' }), 400, 'mutability');
    assertScimError(() => plan({ op: 'replace', path: `${IDM_GROUP}:serviceCode`, value: 'x' }), 400, 'mutability');
    assertScimError(() => plan({ op: 'remove', path: 'members[value eq "u1"].display' }), 400, 'mutability');
    assertScimError(() => plan({ op: 'remove', path: 'displayName' }), 400, 'mutability', /required/);
    assertScimError(() => plan({ op: 'replace', path: 'displayName', value: null }), 400, 'invalidValue', /required/);
    assert.deepEqual(plan({ op: 'add', path: 'displayName', value: null }), none);
  });
  it(`names at most ${MAX_PATCH_MEMBER_VALUES} member values in one request, over all its operations and filters`, () => {
    const many = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}` }));
    assert.equal(plan({ op: 'add', path: 'members', value: many(MAX_PATCH_MEMBER_VALUES, 'u') }).add.length, MAX_PATCH_MEMBER_VALUES);
    const refused = [
      [{ op: 'add', path: 'members', value: many(MAX_PATCH_MEMBER_VALUES + 1, 'u') }],
      [{ op: 'replace', value: { members: many(MAX_PATCH_MEMBER_VALUES, 'u') } }, { op: 'remove', path: 'members[value eq "u1"]' }],
      [{ op: 'add', path: 'members', value: many(6000, 'a') }, { op: 'Remove', path: 'members', value: many(4001, 'b') }],
      // Repeats count: the bound is on what the request names, not on distinct ids.
      [{ op: 'add', path: 'members', value: many(MAX_PATCH_MEMBER_VALUES, 'u') }, { op: 'add', path: 'members', value: many(1, 'u') }],
    ];
    for (const ops of refused) assertScimError(() => plan(...ops), 400, 'invalidValue', /at most 10000 member values/);
  });
  it('an unknown attribute is 400 invalidPath and remove without path is 400 noTarget', () => {
    assertScimError(() => plan({ op: 'add', path: 'owners', value: [] }), 400, 'invalidPath');
    assertScimError(() => plan({ op: 'remove' }), 400, 'noTarget');
  });
});

describe('planGroupPatch — operations compose in request order', () => {
  const current = new Set(['a', 'b', 'c']);
  const cases: { name: string; ops: unknown[]; expected: string[] }[] = [
    { name: 'replace then add', ops: [{ op: 'replace', path: 'members', value: members('x') }, { op: 'add', path: 'members', value: members('y') }], expected: ['x', 'y'] },
    { name: 'replace then remove', ops: [{ op: 'replace', path: 'members', value: members('x', 'y') }, { op: 'remove', path: 'members[value eq "x"]' }], expected: ['y'] },
    { name: 'add then remove the same', ops: [{ op: 'add', path: 'members', value: members('d') }, { op: 'remove', path: 'members[value eq "d"]' }], expected: ['a', 'b', 'c'] },
    { name: 'remove then add the same', ops: [{ op: 'remove', path: 'members[value eq "a"]' }, { op: 'add', path: 'members', value: members('a') }], expected: ['a', 'b', 'c'] },
    { name: 'remove all then add', ops: [{ op: 'remove', path: 'members' }, { op: 'add', path: 'members', value: members('z') }], expected: ['z'] },
    { name: 'add then remove all', ops: [{ op: 'add', path: 'members', value: members('z') }, { op: 'remove', path: 'members' }], expected: [] },
    { name: 'remove all, add, remove', ops: [{ op: 'remove', path: 'members' }, { op: 'add', path: 'members', value: members('y', 'z') }, { op: 'remove', path: 'members', value: members('y', 'a') }], expected: ['z'] },
    { name: 'replace then remove all then add', ops: [{ op: 'replace', path: 'members', value: members('x') }, { op: 'remove', path: 'members' }, { op: 'add', path: 'members', value: members('q') }], expected: ['q'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = plan(...c.ops);
      assert.deepEqual([...finalMembers(current, p)].sort(), c.expected);
    });
  }

  it('yields the same members as applying the operations one by one (property)', () => {
    const id = fc.constantFrom('u1', 'u2', 'u3', 'u4', 'u5');
    const ids = fc.array(id, { maxLength: 4 });
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), ids, pathless: fc.boolean() }),
      fc.record({ kind: fc.constant('remove' as const), ids: fc.array(id, { minLength: 1, maxLength: 3 }), byFilter: fc.boolean() }),
      fc.record({ kind: fc.constant('removeAll' as const) }),
      fc.record({ kind: fc.constant('replace' as const), ids, pathless: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.uniqueArray(id), fc.array(op, { minLength: 1, maxLength: 8 }), (initial, sequence) => {
        const expected = new Set(initial);
        const wire: unknown[] = [];
        for (const o of sequence) {
          if (o.kind === 'add') {
            o.ids.forEach((i) => expected.add(i));
            wire.push(o.pathless ? { op: 'add', value: { members: members(...o.ids) } } : { op: 'add', path: 'members', value: members(...o.ids) });
          } else if (o.kind === 'remove') {
            o.ids.forEach((i) => expected.delete(i));
            const filter = o.ids.map((i) => `value eq "${i}"`).join(' or ');
            wire.push(o.byFilter ? { op: 'remove', path: `members[${filter}]` } : { op: 'Remove', path: 'members', value: members(...o.ids) });
          } else if (o.kind === 'removeAll') {
            expected.clear();
            wire.push({ op: 'remove', path: 'members' });
          } else {
            expected.clear();
            o.ids.forEach((i) => expected.add(i));
            wire.push(o.pathless ? { op: 'replace', value: { members: members(...o.ids) } } : { op: 'replace', path: 'members', value: members(...o.ids) });
          }
        }
        const p = plan(...wire);
        assert.deepEqual([...finalMembers(new Set(initial), p)].sort(), [...expected].sort());
        // The invariants the store relies on.
        assert.equal(
          p.add.some((i) => p.remove.includes(i)),
          false,
        );
        if (p.replaceWith) assert.deepEqual([p.add, p.remove, p.removeAll], [[], [], false]);
        if (p.removeAll) assert.deepEqual(p.remove, []);
      }),
      { numRuns: 500 },
    );
  });
});
