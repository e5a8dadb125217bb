import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_FILTER_COMPARISONS,
  MAX_FILTER_DEPTH,
  MAX_FILTER_LENGTH,
  normaliseDateTime,
  parseFilter,
  parseSortBy,
  type FilterNode,
} from '../../src/scim/filter.ts';
import { ENTERPRISE_USER, IDM_USER } from '../../src/scim/schema-registry.ts';
import { pathKey, type ResourceTypeName } from '../../src/scim/schema-types.ts';
import { ScimError } from '../../src/scim/scim-error.ts';

/** The AST with paths written as their canonical key, so expectations stay readable. */
function show(node: FilterNode): unknown {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { [node.kind]: node.filters.map(show) };
    case 'not':
      return { not: show(node.filter) };
    case 'present':
      return { pr: pathKey(node.path) };
    case 'valuePath':
      return { [`${pathKey(node.path)}[]`]: show(node.filter) };
    case 'compare':
      return [pathKey(node.path), node.op, node.value];
  }
}

const parsed = (text: string, type: ResourceTypeName = 'User') => show(parseFilter(type, text));

function rejects(text: string, detail: RegExp, type: ResourceTypeName = 'User') {
  assert.throws(
    () => parseFilter(type, text),
    (error: unknown) => {
      assert.ok(error instanceof ScimError, `expected a ScimError for ${text}`);
      assert.equal(error.status, 400);
      assert.equal(error.scimType, 'invalidFilter');
      assert.match(error.message, detail);
      return true;
    },
  );
}

describe('parseFilter — attribute paths', () => {
  it('resolves names case-insensitively to their canonical form (RFC 7644 §3.4.2.2)', () => {
    assert.deepEqual(parsed('USERNAME Eq "bjensen"'), ['userName', 'eq', 'bjensen']);
    assert.deepEqual(parsed('name.GIVENNAME sw "B"'), ['name.givenName', 'sw', 'B']);
    assert.deepEqual(parsed('meta.lastModified gt "2026-01-01T00:00:00Z"'), ['meta.lastModified', 'gt', '2026-01-01T00:00:00Z']);
  });

  it('accepts URN-qualified core attributes and extension attributes by full URN', () => {
    assert.deepEqual(parsed('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"'), ['userName', 'eq', 'x']);
    assert.deepEqual(parsed(`${ENTERPRISE_USER}:department eq "IT"`), [`${ENTERPRISE_USER}:department`, 'eq', 'IT']);
    assert.deepEqual(parsed(`${ENTERPRISE_USER}:manager.value eq "m"`), [`${ENTERPRISE_USER}:manager.value`, 'eq', 'm']);
    assert.deepEqual(parsed(`${IDM_USER.toUpperCase()}:SERVICES eq "s"`), [`${IDM_USER}:services`, 'eq', 's']);
  });

  it('reads a bare multi-valued complex attribute as its value sub-attribute', () => {
    assert.deepEqual(parsed('emails eq "a@x.se"'), ['emails.value', 'eq', 'a@x.se']);
    assert.deepEqual(parsed('members eq "id"', 'Group'), ['members.value', 'eq', 'id']);
    assert.deepEqual(parsed('emails pr'), { pr: 'emails' });
  });

  it('keeps a value path as one node over sub-attributes', () => {
    assert.deepEqual(parsed('emails[type eq "work" and value co "@x.se"]'), {
      'emails[]': { and: [['emails.type', 'eq', 'work'], ['emails.value', 'co', '@x.se']] },
    });
    assert.deepEqual(parsed(`${ENTERPRISE_USER}:manager[value pr]`), { [`${ENTERPRISE_USER}:manager[]`]: { pr: `${ENTERPRISE_USER}:manager.value` } });
  });
});

describe('parseFilter — logic', () => {
  it('binds and tighter than or, and not tighter than and', () => {
    assert.deepEqual(parsed('title pr or userName eq "a" and active eq true'), {
      or: [{ pr: 'title' }, { and: [['userName', 'eq', 'a'], ['active', 'eq', true]] }],
    });
    assert.deepEqual(parsed('not (title pr) and active eq true'), { and: [{ not: { pr: 'title' } }, ['active', 'eq', true]] });
  });

  it('groups with parentheses', () => {
    assert.deepEqual(parsed('(title pr or userName eq "a") and active eq true'), {
      and: [{ or: [{ pr: 'title' }, ['userName', 'eq', 'a']] }, ['active', 'eq', true]],
    });
  });

  it('rewrites eq null and ne null to presence (RFC 7643 §2.5: null is no value)', () => {
    assert.deepEqual(parsed('title eq null'), { not: { pr: 'title' } });
    assert.deepEqual(parsed('title ne null'), { pr: 'title' });
  });
});

describe('parseFilter — values', () => {
  it('decodes string literals as JSON strings', () => {
    assert.deepEqual(parsed(String.raw`title eq "a\\b"`), ['title', 'eq', 'a\\b']);
    assert.deepEqual(parsed(String.raw`title eq "\u00e9t\u00e9"`), ['title', 'eq', 'été']);
    assert.deepEqual(parsed(String.raw`title eq "say \"hi\" and (or)"`), ['title', 'eq', 'say "hi" and (or)']);
    assert.deepEqual(parsed(String.raw`title eq "ends with \\"`), ['title', 'eq', 'ends with \\']);
  });

  it('takes booleans as literals, and as "True"/"False" strings like Entra ID sends them', () => {
    assert.deepEqual(parsed('active eq true'), ['active', 'eq', true]);
    assert.deepEqual(parsed('active eq "False"'), ['active', 'eq', false]);
  });

  it('normalises date-times, keeping sub-millisecond digits and reading no offset as UTC', () => {
    assert.deepEqual(parsed('meta.created ge "2026-01-31T12:00:00.123456+01:00"'), ['meta.created', 'ge', '2026-01-31T12:00:00.123456+01:00']);
    assert.equal(normaliseDateTime('2026-01-31T12:00:00'), '2026-01-31T12:00:00Z');
    assert.equal(normaliseDateTime('2026-01-31'), '2026-01-31T00:00:00Z');
    assert.equal(normaliseDateTime('2026-02-29T00:00:00Z'), undefined);
    assert.equal(normaliseDateTime('2028-02-29T00:00:00Z'), '2028-02-29T00:00:00Z');
    assert.equal(normaliseDateTime('2026-01-01T24:00:00Z'), undefined);
    assert.equal(normaliseDateTime('2026-01-01T10:00:00+25:00'), undefined);
  });
});

describe('parseFilter — errors are 400 invalidFilter', () => {
  it('refuses unknown attributes and sub-attributes', () => {
    rejects('nickname2 eq "x"', /unknown attribute "nickname2"/);
    rejects('name.nickName eq "x"', /unknown attribute "name.nickName"/);
    rejects(`${ENTERPRISE_USER}:shoeSize eq "x"`, /unknown attribute/);
    rejects('urn:example:unknown:schema:x eq "x"', /unknown attribute/);
    rejects('services eq "x"', /unknown attribute "services"/); // an extension attribute needs its URN
    rejects('userName eq "x"', /unknown attribute "userName" for Group/, 'Group');
    rejects('emails[kind eq "work"]', /unknown attribute "kind"/);
  });

  it('refuses attributes that are never filterable', () => {
    rejects('password eq "secret"', /"password" cannot be used/);
    rejects('meta.version eq "W/\\"1\\""', /cannot be used/);
    rejects('members.display eq "x"', /cannot be used/, 'Group');
    rejects('members[display eq "x"]', /cannot be used/, 'Group');
  });

  it('refuses bad syntax with a useful detail', () => {
    rejects('', /empty/);
    rejects('   ', /empty/);
    rejects('userName eq', /not valid/);
    rejects('userName eq bjensen', /not valid/);
    rejects('userName equals "x"', /not valid/);
    rejects('userName eq "x" and', /not valid/);
    rejects('userName eq "x" title pr', /not valid/);
    rejects('(userName eq "x"', /not valid/);
    rejects('userName eq "x")', /not valid/);
    rejects('userName pr "x"', /not valid/);
    rejects('userName eq "x" && title pr', /not valid/);
    rejects('emails[type eq "work"', /not valid/);
  });

  it('names the original string in the detail rather than a placeholder', () => {
    rejects('userName eq "abc" "def"', /"def"/);
  });

  it('refuses unterminated strings and raw control characters', () => {
    rejects('userName eq "abc', /no closing quote/);
    // A parser that backtracked catastrophically would not finish this one (2^60 paths); the
    // run's per-test timeout catches that, without timing the test on a busy machine.
    rejects(`userName eq "${'\n'.repeat(60)}\\\n`, /no closing quote|not a valid JSON string/);
    rejects('title eq "a\nb"', /not a valid JSON string/);
  });

  it('reads Entra’s attr[filter].sub op value as one element satisfying both', () => {
    assert.deepEqual(
      parseFilter('User', 'emails[type eq "work"].value eq "a@x.se"'),
      parseFilter('User', 'emails[(type eq "work") and value eq "a@x.se"]'),
    );
    assert.deepEqual(
      parseFilter('User', 'emails[type eq "work"].value pr and userName eq "x"'),
      parseFilter('User', 'emails[(type eq "work") and value pr] and userName eq "x"'),
    );
    rejects('emails[type eq "work"].value', /must be followed by a comparison/);
  });

  it('refuses comparisons a complex attribute cannot take', () => {
    rejects('name eq "x"', /name is complex/);
    rejects('meta gt "x"', /meta is complex/);
    rejects('userName[value eq "x"]', /needs a complex attribute/);
    rejects('emails[value eq "x" and emails[type eq "y"]]', /cannot be nested/);
  });

  it('refuses operators the type does not support (RFC 7644 §3.4.2.2 and our choices)', () => {
    rejects('active gt true', /gt cannot be used on active, which is boolean/);
    rejects('emails[primary le false]', /le cannot be used/);
    rejects('active co "t"', /co cannot be used on active/);
    rejects('meta.created sw "2026"', /sw cannot be used on meta.created, which is dateTime/);
    rejects('x509Certificates.value gt "x"', /binary/);
    rejects('title gt null', /only eq and ne accept null/);
  });

  it('refuses values of the wrong type and invalid dates', () => {
    rejects('active eq "yes"', /active is boolean/);
    rejects('active eq 1', /active is boolean/);
    rejects('userName eq 42', /userName is string: the value 42 is not a quoted string/);
    rejects('userName eq true', /quoted string/);
    rejects('meta.created gt "yesterday"', /meta.created is dateTime/);
    rejects('meta.created gt "2026-02-30T00:00:00Z"', /dateTime/);
    rejects('meta.created gt 20260101', /dateTime/);
  });
});

describe('parseFilter — complexity bound', () => {
  const comparisons = (n: number) => Array.from({ length: n }, (_, i) => `userName eq "u${i}"`).join(' or ');
  const nots = (n: number) => 'not ('.repeat(n) + 'title pr' + ')'.repeat(n);

  it(`accepts ${MAX_FILTER_COMPARISONS} comparisons and refuses one more`, () => {
    assert.doesNotThrow(() => parseFilter('User', comparisons(MAX_FILTER_COMPARISONS)));
    rejects(comparisons(MAX_FILTER_COMPARISONS + 1), /more than 50 comparisons/);
  });

  it('counts comparisons inside value paths', () => {
    const inner = Array.from({ length: MAX_FILTER_COMPARISONS }, (_, i) => `value eq "e${i}"`).join(' or ');
    rejects(`title pr and emails[${inner}]`, /more than 50 comparisons/);
  });

  it(`accepts a tree ${MAX_FILTER_DEPTH} levels high and refuses a deeper one`, () => {
    assert.doesNotThrow(() => parseFilter('User', nots(MAX_FILTER_DEPTH - 1)));
    rejects(nots(MAX_FILTER_DEPTH), /nests deeper than 10/);
  });

  it('refuses brackets nested too deeply even when the tree is flat', () => {
    rejects('('.repeat(MAX_FILTER_DEPTH + 1) + 'title pr' + ')'.repeat(MAX_FILTER_DEPTH + 1), /brackets deeper than 10/);
    rejects('('.repeat(2000) + 'title pr' + ')'.repeat(2000), /brackets deeper/);
  });

  it(`refuses a filter longer than ${MAX_FILTER_LENGTH} characters`, () => {
    rejects(`userName eq "${'x'.repeat(MAX_FILTER_LENGTH)}"`, /longer than 4096/);
  });
});

describe('parseSortBy (RFC 7644 §3.4.2.3)', () => {
  const key = (text: string, type: ResourceTypeName = 'User') => pathKey(parseSortBy(type, text).path);

  it('resolves single-valued attributes and sub-attributes', () => {
    assert.equal(key('username'), 'userName');
    assert.equal(key('name.familyName'), 'name.familyName');
    assert.equal(key('meta.lastModified'), 'meta.lastModified');
    assert.equal(key(`${ENTERPRISE_USER}:department`), `${ENTERPRISE_USER}:department`);
    assert.equal(key('displayName', 'Group'), 'displayName');
  });

  it('sorts a multi-valued complex attribute by its value', () => {
    assert.equal(key('emails'), 'emails.value');
  });

  it('refuses unknown, complex and unsortable attributes with 400 invalidValue', () => {
    for (const text of ['shoeSize', 'name', 'password', 'meta.version', 'x509Certificates']) {
      assert.throws(
        () => parseSortBy('User', text),
        (error: unknown) => error instanceof ScimError && error.status === 400 && error.scimType === 'invalidValue',
        text,
      );
    }
  });
});
