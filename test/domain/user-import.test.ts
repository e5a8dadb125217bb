import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeRow } from '../../src/domain/user-import.ts';
import { separatorOf } from '../../src/cli/commands/import-csv.ts';

describe('idm import: a row applied to a stored user (mergeRow)', () => {
  const stored = {
    userName: 'anna@skola.se',
    externalId: 'hr-1',
    name: { givenName: 'Anna', familyName: 'Andersson', middleName: 'Maria' },
    emails: [{ value: 'anna@hem.se', type: 'home', primary: true }, { value: 'anna@skola.se', type: 'work' }],
    active: true,
  };

  it('keeps what the row leaves empty, including the stored spelling of the userName', () => {
    assert.deepEqual(mergeRow(stored, { userName: 'ANNA@skola.se' }), stored);
  });

  it('changes only the name parts the row gives', () => {
    assert.deepEqual(mergeRow(stored, { userName: 'anna@skola.se', name: { familyName: 'Berg' } }).name, { givenName: 'Anna', familyName: 'Berg', middleName: 'Maria' });
  });

  it('sets the work address and keeps the others; the address already used changes nothing', () => {
    const email = (value: string) => ({ userName: 'anna@skola.se', emails: [{ value, type: 'work' }] });
    assert.deepEqual(mergeRow(stored, email('ANNA@skola.se')).emails, stored.emails);
    assert.deepEqual(mergeRow(stored, email('anna.ny@skola.se')).emails, [stored.emails[0], { value: 'anna.ny@skola.se', type: 'work' }]);
    const homeOnly = { ...stored, emails: [stored.emails[0]] };
    assert.deepEqual(mergeRow(homeOnly, email('anna@skola.se')).emails, [{ value: 'anna@skola.se', type: 'work' }, stored.emails[0]]);
    assert.deepEqual(mergeRow({ userName: 'x' }, email('x@skola.se')).emails, [{ value: 'x@skola.se', type: 'work' }]);
  });

  it('sets active and externalId when given', () => {
    assert.deepEqual(mergeRow(stored, { userName: 'anna@skola.se', active: false, externalId: 'hr-2' }), { ...stored, active: false, externalId: 'hr-2' });
  });
});

describe('idm import: the separator is the one the header line uses outside quotes', () => {
  it('reads ";" and ","', () => {
    assert.equal(separatorOf('userName;givenName;email'), ';');
    assert.equal(separatorOf('userName,givenName,email'), ',');
    assert.equal(separatorOf('"user;Name",givenName,email'), ',');
    assert.equal(separatorOf('"a,b";"c,d";e'), ';');
    assert.equal(separatorOf('userName'), ',');
  });
});
