import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mayChangeMembership, RULES } from '../../src/domain/policy.ts';
import { swedishDate } from '../../src/domain/administrators.ts';
import type { Principal, Role } from '../../src/auth/tokens.ts';
import type { Organisation } from '../../src/domain/organisations.ts';

const principal = (role: Role): Principal => ({ role, subject: `${role}-x`, orgId: 'o', jti: 'j', expiresAt: 0 });
const org: Organisation = {
  id: 'o', name: 'Skolan', organisationNumber: null, type: 'school', schoolForm: 'hogskola', reportsViaFile: false,
  active: true, postalAddress: null, created: new Date(), modified: new Date(),
};
const adminGroup = { grantedBy: 'declaration' as const, displayName: 'Behörighetsadministratör' };

describe('policy — the behorighetsadministrator group (SPEC §3.5, §4)', () => {
  for (const role of ['admin', 'provisioner', 'operator'] as const) {
    it(`refuses ${role} over SCIM`, () => {
      const decision = mayChangeMembership(principal(role), adminGroup, org);
      assert.equal(decision.allowed, false);
      assert.equal(!decision.allowed && decision.rule, RULES.adminGroup);
    });
  }
  for (const role of ['admin', 'provisioner'] as const) {
    it(`refuses ${role} even when called as the admin API`, () => {
      assert.equal(mayChangeMembership(principal(role), adminGroup, org, true).allowed, false);
    });
  }
  it('allows the operator through the admin API', () => {
    assert.equal(mayChangeMembership(principal('operator'), adminGroup, org, true).allowed, true);
  });
});

describe('swedishDate — "today" for a declaration', () => {
  it('is the date in Sweden, not in UTC', () => {
    // 23:30 UTC on 14 January is 00:30 on 15 January in Stockholm (CET).
    assert.equal(swedishDate(new Date('2026-01-14T23:30:00Z')), '2026-01-15');
    // Summer time: 22:30 UTC on 30 June is 00:30 on 1 July (CEST).
    assert.equal(swedishDate(new Date('2026-06-30T22:30:00Z')), '2026-07-01');
    assert.equal(swedishDate(new Date('2026-06-30T21:30:00Z')), '2026-06-30');
  });
});
