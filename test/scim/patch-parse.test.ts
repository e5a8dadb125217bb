import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePatchRequest } from '../../src/scim/patch/parse.ts';
import { MAX_PATCH_FILTER_COMPARISONS, MAX_PATCH_OPERATIONS } from '../../src/scim/bounds.ts';
import { coerceSimple } from '../../src/scim/patch/values.ts';
import { MAX_STRING_LENGTH } from '../../src/scim/resource-input.ts';
import type { AttributeDef } from '../../src/scim/schema-types.ts';
import { assertScimError } from '../helpers/assert-scim.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const IDM_USER = 'urn:identity-manager:params:scim:schemas:extension:2.0:User';

const body = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });
const parseUser = (...ops: unknown[]) => parsePatchRequest('User', body(...ops));


describe('parsePatchRequest — the PatchOp message (RFC 7644 §3.5.2)', () => {
  it('refuses a body that is not an object', () => {
    for (const bad of [null, [], 'x', 3]) assertScimError(() => parsePatchRequest('User', bad), 400, 'invalidSyntax');
  });
  it('refuses a body without the PatchOp schema', () => {
    assertScimError(() => parsePatchRequest('User', { Operations: [{ op: 'add', path: 'title', value: 'x' }] }), 400, 'invalidSyntax', /PatchOp/);
    assertScimError(
      () => parsePatchRequest('User', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], Operations: [{ op: 'add', path: 'title', value: 'x' }] }),
      400,
      'invalidSyntax',
    );
  });
  it('refuses missing, non-array and empty Operations', () => {
    assertScimError(() => parsePatchRequest('User', { schemas: [PATCH_OP] }), 400, 'invalidSyntax', /Operations/);
    assertScimError(() => parsePatchRequest('User', { schemas: [PATCH_OP], Operations: {} }), 400, 'invalidSyntax');
    assertScimError(() => parsePatchRequest('User', body()), 400, 'invalidSyntax');
  });
  it(`accepts ${MAX_PATCH_OPERATIONS} operations and refuses one more with invalidValue`, () => {
    const op = { op: 'replace', path: 'title', value: 'x' };
    assert.equal(parsePatchRequest('User', body(...Array(MAX_PATCH_OPERATIONS).fill(op))).length, MAX_PATCH_OPERATIONS);
    assertScimError(() => parsePatchRequest('User', body(...Array(MAX_PATCH_OPERATIONS + 1).fill(op))), 400, 'invalidValue', /at most 1000/);
  });
  it(`counts each attribute of a value without path as an operation: ${MAX_PATCH_OPERATIONS} in all`, () => {
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`emails[value eq "k${i}"].display`, 'x']));
    assert.equal(parseUser({ op: 'add', value: keys(MAX_PATCH_OPERATIONS) }).length, MAX_PATCH_OPERATIONS);
    assertScimError(() => parseUser({ op: 'add', value: keys(MAX_PATCH_OPERATIONS + 1) }), 400, 'invalidValue', /at most 1000 operations \(an attribute of a value without path counts as one\)/);
    assertScimError(() => parseUser({ op: 'replace', path: 'title', value: 'x' }, { op: 'add', value: keys(MAX_PATCH_OPERATIONS) }), 400, 'invalidValue', /at most 1000/);
  });
  it(`bounds the comparisons of a request's path filters together: ${MAX_PATCH_FILTER_COMPARISONS}`, () => {
    const filter = (i: number, n: number) => Array.from({ length: n }, (_, j) => `value eq "f${i}.${j}"`).join(' or ');
    const fifty = Array.from({ length: MAX_PATCH_FILTER_COMPARISONS / 50 }, (_, i) => ({ op: 'remove', path: `emails[${filter(i, 50)}]` }));
    assert.equal(parseUser(...fifty).length, fifty.length);
    assertScimError(() => parseUser(...fifty, { op: 'remove', path: 'emails[value pr]' }), 400, 'invalidFilter', /at most 1000 comparisons together/);
    const ones = Array.from({ length: MAX_PATCH_FILTER_COMPARISONS - 1 }, (_, i) => ({ op: 'remove', path: `emails[value eq "o${i}"]` }));
    assert.equal(parseUser(...ones, { op: 'add', value: { 'emails[type eq "work"].value': 'a@x.se' } }).length, MAX_PATCH_FILTER_COMPARISONS);
    assertScimError(() => parseUser(...ones, { op: 'add', value: { 'emails[type eq "work" and primary eq true].value': 'a@x.se' } }), 400, 'invalidFilter', /comparisons/);
  });
  it('reads message members case-insensitively (RFC 7643 §2.1)', () => {
    const ops = parsePatchRequest('User', { SCHEMAS: [PATCH_OP.toUpperCase()], operations: [{ OP: 'replace', Path: 'title', Value: 'x' }] });
    assert.equal(ops.length, 1);
    assert.equal(ops[0].value, 'x');
  });
  it('refuses an operation that is not an object or has an unknown op', () => {
    assertScimError(() => parseUser('add'), 400, 'invalidSyntax', /Operations\[0\]/);
    assertScimError(() => parseUser({ op: 'move', path: 'title', value: 'x' }), 400, 'invalidSyntax', /op must be/);
    assertScimError(() => parseUser({ path: 'title', value: 'x' }), 400, 'invalidSyntax');
  });
  it('accepts op names in any case (Entra sends "Add", "Replace", "Remove")', () => {
    const ops = parseUser({ op: 'Add', path: 'title', value: 'a' }, { op: 'REPLACE', path: 'title', value: 'b' }, { op: 'Remove', path: 'title' });
    assert.deepEqual(
      ops.map((o) => o.op),
      ['add', 'replace', 'remove'],
    );
  });
  it('keeps the order of the request', () => {
    const ops = parseUser({ op: 'add', path: 'title', value: 'a' }, { op: 'remove', path: 'nickName' }, { op: 'replace', value: { locale: 'sv', timezone: 'Europe/Stockholm' } });
    assert.deepEqual(
      ops.map((o) => `${o.op} ${o.path.attribute.name}`),
      ['add title', 'remove nickName', 'replace locale', 'replace timezone'],
    );
  });
});

describe('parsePatchRequest — paths', () => {
  it('remove without path is 400 noTarget (RFC 7644 §3.5.2.2)', () => {
    assertScimError(() => parseUser({ op: 'remove' }), 400, 'noTarget');
    assertScimError(() => parseUser({ op: 'remove', path: '  ' }), 400, 'noTarget');
  });
  it('a path that is not a string is 400 invalidPath', () => {
    assertScimError(() => parseUser({ op: 'add', path: 5, value: 'x' }), 400, 'invalidPath');
  });
  it('an unknown attribute or sub-attribute is 400 invalidPath', () => {
    assertScimError(() => parseUser({ op: 'add', path: 'shoeSize', value: 'x' }), 400, 'invalidPath', /shoeSize/);
    assertScimError(() => parseUser({ op: 'add', path: 'name.nickname', value: 'x' }), 400, 'invalidPath');
    assertScimError(() => parseUser({ op: 'add', path: 'name.givenName.first', value: 'x' }), 400, 'invalidPath');
    assertScimError(() => parseUser({ op: 'add', path: `${ENTERPRISE}:shoeSize`, value: 'x' }), 400, 'invalidPath');
    assertScimError(() => parseUser({ op: 'add', path: 'urn:example:unknown:2.0:User:x', value: 'x' }), 400, 'invalidPath');
  });
  it('resolves names case-insensitively to canonical ones', () => {
    const [op] = parseUser({ op: 'replace', path: 'EMAILS[TYPE eq "work"].VALUE', value: 'a@x.se' });
    assert.equal(op.path.attribute.name, 'emails');
    assert.equal(op.path.subAttribute?.name, 'value');
    assert.deepEqual(op.path.filter, { op: 'eq', attrPath: 'type', compValue: 'work' });
    const [name] = parseUser({ op: 'replace', path: 'NAME.GIVENNAME', value: 'A' });
    assert.equal(name.path.attribute.name, 'name');
    assert.equal(name.path.subAttribute?.name, 'givenName');
  });
  it('resolves URN-qualified core and extension paths', () => {
    const [core] = parseUser({ op: 'replace', path: 'urn:ietf:params:scim:schemas:core:2.0:User:userName', value: 'a' });
    assert.equal(core.path.attribute.name, 'userName');
    assert.equal(core.path.inExtension, false);
    const [ext] = parseUser({ op: 'replace', path: `${ENTERPRISE.toUpperCase()}:manager.value`, value: 'm1' });
    assert.equal(ext.path.schema, ENTERPRISE);
    assert.equal(ext.path.inExtension, true);
    assert.equal(ext.path.attribute.name, 'manager');
    assert.equal(ext.path.subAttribute?.name, 'value');
  });
  it('qualifies an extension attribute sent without its URN when one extension has it (Entra "manager")', () => {
    const [op] = parseUser({ op: 'add', path: 'manager.value', value: 'm1' });
    assert.equal(op.path.schema, ENTERPRISE);
    assert.equal(op.path.subAttribute?.name, 'value');
    const [dept] = parseUser({ op: 'replace', value: { Department: 'X' } });
    assert.equal(dept.path.schema, ENTERPRISE);
    assertScimError(() => parseUser({ op: 'replace', path: 'services', value: ['x'] }), 400, 'mutability');
  });
  it('bad path syntax around a filter is 400 invalidPath', () => {
    assertScimError(() => parseUser({ op: 'remove', path: 'emails[type eq "work"' }), 400, 'invalidPath', /unclosed/);
    assertScimError(() => parseUser({ op: 'remove', path: 'emails[type eq "work"]value' }), 400, 'invalidPath');
    assertScimError(() => parseUser({ op: 'remove', path: 'emails[type eq "work"].nope' }), 400, 'invalidPath');
    assertScimError(() => parseUser({ op: 'remove', path: 'name[givenName eq "A"]' }), 400, 'invalidPath', /multi-valued/);
    assertScimError(() => parseUser({ op: 'remove', path: 'title[value eq "A"]' }), 400, 'invalidPath');
    assertScimError(() => parseUser({ op: 'remove', path: '[type eq "work"]' }), 400, 'invalidPath');
  });
  it('keeps brackets inside quoted filter values', () => {
    const [op] = parseUser({ op: 'remove', path: 'emails[value eq "a]b@x.se"]' });
    assert.deepEqual(op.path.filter, { op: 'eq', attrPath: 'value', compValue: 'a]b@x.se' });
  });
  it('bad syntax or an unknown attribute inside the brackets is 400 invalidFilter (RFC 7644 §3.12)', () => {
    assertScimError(() => parseUser({ op: 'remove', path: 'emails[type eq]' }), 400, 'invalidFilter');
    assertScimError(() => parseUser({ op: 'remove', path: 'emails[type "work"]' }), 400, 'invalidFilter');
    assertScimError(() => parseUser({ op: 'remove', path: 'emails[colour eq "red"]' }), 400, 'invalidFilter', /colour/);
    assertScimError(() => parseUser({ op: 'remove', path: 'emails[]' }), 400, 'invalidFilter');
  });
  it('operators must fit the sub-attribute type (RFC 7644 §3.4.2.2)', () => {
    assertScimError(() => parseUser({ op: 'remove', path: 'emails[primary gt true]' }), 400, 'invalidFilter', /boolean/);
    assertScimError(() => parseUser({ op: 'remove', path: 'emails[primary co true]' }), 400, 'invalidFilter');
    assertScimError(() => parseUser({ op: 'remove', path: 'emails[primary eq "yes"]' }), 400, 'invalidFilter');
    assertScimError(() => parseUser({ op: 'remove', path: 'emails[type eq 5]' }), 400, 'invalidFilter');
  });
  it('bounds the filter like any filter (SPEC §5.1): length, comparisons, depth', () => {
    assertScimError(() => parseUser({ op: 'remove', path: `emails[value eq "${'x'.repeat(5000)}"]` }), 400, 'invalidFilter', /longer than/);
    const many = Array.from({ length: 51 }, (_, i) => `value eq "${i}"`).join(' or ');
    assertScimError(() => parseUser({ op: 'remove', path: `emails[${many}]` }), 400, 'invalidFilter', /more than 50 comparisons/);
    const deep = `${'not ('.repeat(12)}type eq "work"${')'.repeat(12)}`;
    assertScimError(() => parseUser({ op: 'remove', path: `emails[${deep}]` }), 400, 'invalidFilter', /deeper/);
  });
  it('reads "True" in a boolean comparison as true (Entra)', () => {
    const [op] = parseUser({ op: 'remove', path: 'emails[primary eq "True"]' });
    assert.deepEqual(op.path.filter, { op: 'eq', attrPath: 'primary', compValue: true });
  });
  it('parses and/or/not and every operator inside brackets', () => {
    const [op] = parseUser({ op: 'remove', path: 'emails[type eq "work" and not (value ew "@x.se") or display pr]' });
    assert.equal(op.path.filter?.op, 'or');
    for (const o of ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']) parseUser({ op: 'remove', path: `emails[value ${o} "m"]` });
  });
});

describe('parsePatchRequest — mutability (RFC 7644 §3.5.2)', () => {
  const readOnlyPaths = ['id', 'meta', 'meta.created', 'groups', 'groups[value eq "g"]', `${IDM_USER}:services`, `${IDM_USER}:credentialStatus`, `${ENTERPRISE}:manager.displayName`];
  for (const path of readOnlyPaths) {
    it(`targeting readOnly '${path}' is 400 mutability`, () => {
      assertScimError(() => parseUser({ op: 'replace', path, value: 'x' }), 400, 'mutability', /readOnly/);
      assertScimError(() => parseUser({ op: 'remove', path }), 400, 'mutability');
    });
  }
  it('a readOnly attribute in a path-less value is 400 mutability', () => {
    assertScimError(() => parseUser({ op: 'add', value: { groups: [{ value: 'g' }] } }), 400, 'mutability');
    assertScimError(() => parseUser({ op: 'replace', value: { meta: { version: 'W/"1"' } } }), 400, 'mutability');
    assertScimError(() => parseUser({ op: 'replace', value: { [IDM_USER]: { services: ['x'] } } }), 400, 'mutability');
  });
  it('removing the whole identity-manager extension is 400 mutability', () => {
    assertScimError(() => parseUser({ op: 'remove', path: IDM_USER }), 400, 'mutability');
  });
  it('readOnly sub-attributes inside a complex value are dropped, as in a PUT (RFC 7644 §3.5.1)', () => {
    const [op] = parseUser({ op: 'replace', path: `${ENTERPRISE}:manager`, value: { value: 'm1', displayName: 'Boss' } });
    assert.deepEqual(op.value, { value: 'm1' });
  });
  it('password (writeOnly) may be set', () => {
    const [op] = parseUser({ op: 'replace', path: 'password', value: 's3cret!' });
    assert.equal(op.value, 's3cret!');
  });
});

describe('parsePatchRequest — values', () => {
  it('add and replace need a value (400 invalidValue); null is kept as unassigned', () => {
    assertScimError(() => parseUser({ op: 'add', path: 'title' }), 400, 'invalidValue', /needs a value/);
    assertScimError(() => parseUser({ op: 'replace', path: 'title' }), 400, 'invalidValue');
    assert.equal(parseUser({ op: 'replace', path: 'title', value: null })[0].value, null);
  });
  it('checks types and names the attribute in the detail', () => {
    assertScimError(() => parseUser({ op: 'replace', path: 'userName', value: 5 }), 400, 'invalidValue', /userName must be a string/);
    assertScimError(() => parseUser({ op: 'replace', path: 'active', value: 'yes' }), 400, 'invalidValue', /active must be true or false/);
    assertScimError(() => parseUser({ op: 'replace', path: 'active', value: 1 }), 400, 'invalidValue');
    assertScimError(() => parseUser({ op: 'add', path: 'emails', value: [{ value: 5 }] }), 400, 'invalidValue', /emails\[0\]\.value/);
    assertScimError(() => parseUser({ op: 'add', path: 'emails', value: [{ value: 'a@x.se', colour: 'red' }] }), 400, 'invalidSyntax', /colour/);
    assertScimError(() => parseUser({ op: 'replace', path: 'title', value: 'x'.repeat(MAX_STRING_LENGTH + 1) }), 400, 'invalidValue', /longer than/);
    assertScimError(() => parseUser({ op: 'replace', path: 'name', value: 'Alice' }), 400, 'invalidValue', /name must be an object/);
    assertScimError(() => parseUser({ op: 'replace', path: 'emails[type eq "work"]', value: 'a@x.se' }), 400, 'invalidValue');
    assertScimError(() => parseUser({ op: 'replace', path: `${ENTERPRISE}:department`, value: ['X'] }), 400, 'invalidValue', /department/);
  });
  it('reads booleans sent as strings (Entra: "value":"False")', () => {
    assert.equal(parseUser({ op: 'Replace', path: 'active', value: 'False' })[0].value, false);
    assert.equal(parseUser({ op: 'Replace', path: 'active', value: 'TRUE' })[0].value, true);
    assert.deepEqual(parseUser({ op: 'add', path: 'emails', value: [{ value: 'a@x.se', primary: 'true' }] })[0].value, [{ value: 'a@x.se', primary: true }]);
  });
  it('canonicalises keys inside values and drops null sub-attributes', () => {
    const [op] = parseUser({ op: 'add', path: 'emails', value: [{ VALUE: 'a@x.se', Type: 'work', display: null }] });
    assert.deepEqual(op.value, [{ value: 'a@x.se', type: 'work' }]);
  });
  it('takes a single element for a multi-valued attribute as a one-element array', () => {
    assert.deepEqual(parseUser({ op: 'add', path: 'emails', value: { value: 'a@x.se' } })[0].value, [{ value: 'a@x.se' }]);
  });
  it('refuses two primary values in one array (RFC 7643 §2.4)', () => {
    const value = [
      { value: 'a@x.se', primary: true },
      { value: 'b@x.se', primary: true },
    ];
    assertScimError(() => parseUser({ op: 'replace', path: 'emails', value }), 400, 'invalidValue', /primary/);
  });
  it('reads a one-element array for a single-valued complex attribute as its element (Entra)', () => {
    assert.deepEqual(parseUser({ op: 'Add', path: `${ENTERPRISE}:manager`, value: [{ value: 'm1' }] })[0].value, { value: 'm1' });
    assertScimError(() => parseUser({ op: 'Add', path: `${ENTERPRISE}:manager`, value: [{ value: 'm1' }, { value: 'm2' }] }), 400, 'invalidValue');
  });
  it('reads a bare manager id as {value} (Entra)', () => {
    const [op] = parseUser({ op: 'Add', path: `${ENTERPRISE}:manager`, value: '271' });
    assert.deepEqual(op.value, { value: '271' });
  });
  it('a remove keeps a value only as a list of elements of a multi-valued attribute', () => {
    assert.deepEqual(parseUser({ op: 'remove', path: 'emails', value: [{ value: 'a@x.se' }] })[0].value, [{ value: 'a@x.se' }]);
    assert.equal(parseUser({ op: 'remove', path: 'title', value: 'ignored' })[0].value, undefined);
    assert.equal(parseUser({ op: 'remove', path: 'emails', value: [] })[0].value, undefined);
  });
  it('type-checks dateTime, integer and decimal values (RFC 7643 §2.3)', () => {
    const def = (type: AttributeDef['type']): AttributeDef => ({ name: 'x', type, multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' });
    assert.equal(coerceSimple(def('dateTime'), '2026-01-23T04:56:22Z', 'x'), '2026-01-23T04:56:22Z');
    assert.equal(coerceSimple(def('dateTime'), '2026-01-23T04:56:22.5+01:00', 'x'), '2026-01-23T04:56:22.5+01:00');
    assertScimError(() => coerceSimple(def('dateTime'), '2026-01-23', 'x'), 400, 'invalidValue', /dateTime/);
    assertScimError(() => coerceSimple(def('dateTime'), '2026-13-45T99:00:00Z', 'x'), 400, 'invalidValue');
    assert.equal(coerceSimple(def('integer'), 4, 'x'), 4);
    assertScimError(() => coerceSimple(def('integer'), 4.5, 'x'), 400, 'invalidValue', /integer/);
    assertScimError(() => coerceSimple(def('integer'), '4', 'x'), 400, 'invalidValue');
    assert.equal(coerceSimple(def('decimal'), 4.5, 'x'), 4.5);
    assertScimError(() => coerceSimple(def('decimal'), Number.NaN, 'x'), 400, 'invalidValue');
    assert.equal(coerceSimple(def('reference'), 'https://x/Users/1', 'x'), 'https://x/Users/1');
  });
});

describe('parsePatchRequest — operations without path', () => {
  it('add/replace without path need an object value (400 invalidValue)', () => {
    assertScimError(() => parseUser({ op: 'add' }), 400, 'invalidValue');
    assertScimError(() => parseUser({ op: 'add', value: [{ title: 'x' }] }), 400, 'invalidValue');
    assertScimError(() => parseUser({ op: 'replace', value: 'x' }), 400, 'invalidValue');
  });
  it('expands the value into one operation per attribute', () => {
    const ops = parseUser({ op: 'add', value: { emails: [{ value: 'babs@example.com', type: 'home' }], nickName: 'Babs' } });
    assert.deepEqual(
      ops.map((o) => [o.op, o.path.attribute.name, o.value]),
      [
        ['add', 'emails', [{ value: 'babs@example.com', type: 'home' }]],
        ['add', 'nickName', 'Babs'],
      ],
    );
  });
  it('reads dotted, URN-qualified and filtered keys as paths (Entra)', () => {
    const ops = parseUser({
      op: 'replace',
      value: {
        displayName: 'Pvlo',
        'emails[type eq "work"].value': 'pvlo@x.se',
        'name.givenName': 'P',
        [`${ENTERPRISE}:employeeNumber`]: '42',
        [`${ENTERPRISE}:manager`]: 'm1',
      },
    });
    assert.deepEqual(
      ops.map((o) => [o.path.attribute.name, o.path.subAttribute?.name, o.path.inExtension, o.value]),
      [
        ['displayName', undefined, false, 'Pvlo'],
        ['emails', 'value', false, 'pvlo@x.se'],
        ['name', 'givenName', false, 'P'],
        ['employeeNumber', undefined, true, '42'],
        ['manager', undefined, true, { value: 'm1' }],
      ],
    );
    assert.deepEqual(ops[1].path.filter, { op: 'eq', attrPath: 'type', compValue: 'work' });
  });
  it('reads an object under an extension URN key as that extension’s attributes', () => {
    const ops = parseUser({ op: 'add', value: { [ENTERPRISE.toLowerCase()]: { Department: 'X', manager: { value: 'm1' } } } });
    assert.deepEqual(
      ops.map((o) => [o.path.schema, o.path.attribute.name, o.value]),
      [
        [ENTERPRISE, 'department', 'X'],
        [ENTERPRISE, 'manager', { value: 'm1' }],
      ],
    );
  });
  it('reads an object under the core schema URN key as core attributes', () => {
    const ops = parseUser({ op: 'replace', value: { 'urn:ietf:params:scim:schemas:core:2.0:User': { title: 'Boss', 'name.familyName': 'J' } } });
    assert.deepEqual(
      ops.map((o) => [o.path.inExtension, o.path.attribute.name, o.path.subAttribute?.name, o.value]),
      [
        [false, 'title', undefined, 'Boss'],
        [false, 'name', 'familyName', 'J'],
      ],
    );
  });
  it('a path-less id other than the resource’s own is 400 mutability, like path "id" (RFC 7644 §3.5.2)', () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 42, null, { value: 'abf4dd94' }]) {
      assertScimError(() => parsePatchRequest('Group', body({ op: 'replace', value: { id, displayName: 'X' } }), 'abf4dd94'), 400, 'mutability', /'id' is readOnly/);
    }
    assertScimError(() => parsePatchRequest('User', body({ op: 'add', value: { id: 'abf4dd94' } })), 400, 'mutability', /readOnly/);
    assert.deepEqual(parsePatchRequest('User', body({ op: 'add', value: { ID: 'ABF4DD94' } }), 'abf4dd94'), []);
  });
  it('skips the resource’s own id and schemas (Okta sends id)', () => {
    const ops = parsePatchRequest('Group', body({ op: 'replace', value: { id: 'abf4dd94', schemas: ['x'], displayName: 'Test SCIMv2' } }), 'abf4dd94');
    assert.deepEqual(
      ops.map((o) => o.path.attribute.name),
      ['displayName'],
    );
  });
  it('an unknown key is 400 invalidPath', () => {
    assertScimError(() => parseUser({ op: 'replace', value: { shoeSize: 44 } }), 400, 'invalidPath', /shoeSize/);
  });
  it('an empty value object is no operation', () => {
    assert.deepEqual(parseUser({ op: 'replace', value: {} }), []);
  });
});

describe('parsePatchRequest — a whole extension URN as path', () => {
  it('add reads the value as the extension object', () => {
    const ops = parseUser({ op: 'add', path: ENTERPRISE, value: { department: 'X' } });
    assert.equal(ops.length, 1);
    assert.equal(ops[0].path.attribute.name, 'department');
    assertScimError(() => parseUser({ op: 'add', path: ENTERPRISE, value: 'X' }), 400, 'invalidValue');
  });
  it('remove removes each of its attributes', () => {
    const ops = parseUser({ op: 'remove', path: ENTERPRISE });
    assert.deepEqual(
      ops.map((o) => o.path.attribute.name),
      ['employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager'],
    );
  });
});
