import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseValueFilter } from '../../src/scim/patch/value-filter-syntax.ts';
import { parsePatchRequest } from '../../src/scim/patch/parse.ts';
import { applyPatch } from '../../src/scim/patch/apply.ts';
import { MAX_FILTER_DEPTH } from '../../src/scim/filter.ts';
import { assertScimError } from '../helpers/assert-scim.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const patchUser = (resource: Record<string, unknown>, ...Operations: unknown[]) => applyPatch('User', resource, parsePatchRequest('User', { schemas: [PATCH_OP], Operations }));

describe('value filters in PATCH paths — syntax (RFC 7644 §3.4.2.2 valFilter)', () => {
  it('reads comparisons, pr, and every operator, names and operators in any case', () => {
    assert.deepEqual(parseValueFilter('type eq "work"'), { op: 'eq', attrPath: 'type', compValue: 'work' });
    assert.deepEqual(parseValueFilter('display PR'), { op: 'pr', attrPath: 'display' });
    for (const op of ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']) {
      assert.deepEqual(parseValueFilter(`value ${op.toUpperCase()} "x"`), { op, attrPath: 'value', compValue: 'x' });
    }
  });

  it('reads literals as JSON: escapes, numbers, true, false and null', () => {
    assert.deepEqual(parseValueFilter('value eq "a\\\\b \\"c\\" \\u00e9"'), { op: 'eq', attrPath: 'value', compValue: 'a\\b "c" é' });
    assert.deepEqual(parseValueFilter('rank ge -1.5e2'), { op: 'ge', attrPath: 'rank', compValue: -150 });
    assert.deepEqual(parseValueFilter('primary eq True'), { op: 'eq', attrPath: 'primary', compValue: true });
    assert.deepEqual(parseValueFilter('primary eq false'), { op: 'eq', attrPath: 'primary', compValue: false });
    assert.deepEqual(parseValueFilter('display eq null'), { op: 'eq', attrPath: 'display', compValue: null });
  });

  it('binds not tighter than and, and and tighter than or; parentheses group', () => {
    assert.deepEqual(parseValueFilter('type eq "a" or type eq "b" and not (value pr) or primary eq true'), {
      op: 'or',
      filters: [
        { op: 'eq', attrPath: 'type', compValue: 'a' },
        { op: 'and', filters: [{ op: 'eq', attrPath: 'type', compValue: 'b' }, { op: 'not', filter: { op: 'pr', attrPath: 'value' } }] },
        { op: 'eq', attrPath: 'primary', compValue: true },
      ],
    });
    assert.deepEqual(parseValueFilter('(type eq "a" or type eq "b") and value pr'), {
      op: 'and',
      filters: [{ op: 'or', filters: [{ op: 'eq', attrPath: 'type', compValue: 'a' }, { op: 'eq', attrPath: 'type', compValue: 'b' }] }, { op: 'pr', attrPath: 'value' }],
    });
  });

  it('refuses bad syntax with 400 invalidFilter saying where', () => {
    const refused: [string, RegExp][] = [
      ['', /empty/],
      ['type eq', /needs a value/],
      ['type "work"', /not an operator|expected an operator/],
      ['type eq "work" and', /expected an attribute name/],
      ['(type eq "work"', /expected '\)'/],
      ['type eq "work")', /unexpected '\)'/],
      ['type eq work', /needs a value/],
      ['type eq "work" type eq "home"', /unexpected 'type'/],
      ['type ~ "x"', /unexpected character '~'/],
      ['value[type eq "x"]', /cannot contain another value filter/],
      ['value eq "a', /no closing quote/],
      ['value eq "a\nb"', /not a valid JSON string/],
    ];
    for (const [text, detail] of refused) assertScimError(() => parseValueFilter(text), 400, 'invalidFilter', detail);
    assertScimError(() => parseValueFilter('type eq "work" and'), 400, 'invalidFilter', /position 19/);
  });

  // scim2-parse-filter needed some 20 s for 40 characters of this; anything more than a moment is a
  // regression to that, and the timeout makes it fail rather than hang the suite.
  it('refuses an unterminated string full of line breaks at once', { timeout: 60_000 }, () => {
    for (const text of [`value eq "${'\n'.repeat(60)}`, `value eq "\\n${'\n'.repeat(60)}\\`, `value eq "${'\\\n'.repeat(500)}`]) {
      assertScimError(() => parseValueFilter(text), 400, 'invalidFilter');
    }
    // The whole path, as a client sends it: the library doubled its time with each line break.
    const path = `emails[value eq "${'\n'.repeat(60)}\\\n"]`;
    assertScimError(() => parsePatchRequest('User', { schemas: [PATCH_OP], Operations: [{ op: 'remove', path }] }), 400, 'invalidFilter', /not a valid JSON string/);
  });

  it(`nests at most ${MAX_FILTER_DEPTH} levels, the path's brackets included`, () => {
    const nots = (n: number) => `${'not ('.repeat(n)}type pr${')'.repeat(n)}`;
    assert.doesNotThrow(() => parseValueFilter(nots(MAX_FILTER_DEPTH - 1)));
    assertScimError(() => parseValueFilter(nots(MAX_FILTER_DEPTH)), 400, 'invalidFilter', /nests deeper than 10/);
    assertScimError(() => parseValueFilter(`${'('.repeat(2000)}type pr${')'.repeat(2000)}`), 400, 'invalidFilter', /nests deeper/);
    assertScimError(() => parseValueFilter(`${'not '.repeat(1000)}type pr`), 400, 'invalidFilter', /nests deeper/);
  });

  it('matches a value holding a backslash (the library read "a\\\\b" as two backslashes)', () => {
    const user = { userName: 'b', emails: [{ value: 'a\\b@x.se' }, { value: 'c@x.se' }] };
    assert.deepEqual(patchUser(user, { op: 'remove', path: 'emails[value eq "a\\\\b@x.se"]' }).emails, [{ value: 'c@x.se' }]);
  });
});
