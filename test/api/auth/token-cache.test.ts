import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import supertest from 'supertest';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { buildApp } from '../../../src/app.ts';

describe('the cache of verified tokens (several processes on one database)', () => {
  let t: TestApp;
  let orgId: string;
  before(async () => {
    t = await createTestApp();
    orgId = (await t.createOrg()).id;
  });
  after(() => t.close());

  it('honours a revocation at once in the revoking process and within the cache lifetime in another', async () => {
    const start = new Date();
    let now = start;
    // A second app on the same database stands for a second server process.
    const other = buildApp({ db: t.testDb.db, config: t.config, key: t.key, log: pino({ level: 'silent' }), now: () => now });
    const otherHttp = () => supertest(other.callback());
    const issued = await t.http().post('/admin/v1/tokens').set('Authorization', `Bearer ${await t.operatorToken()}`).send({ organisationId: orgId, role: 'provisioner', subject: 'cached' });
    const token = issued.body.token as string;
    const get = (agent: () => supertest.Agent | ReturnType<typeof supertest>) => agent().get('/scim/v2/ServiceProviderConfig').set('Authorization', `Bearer ${token}`);

    assert.equal((await get(otherHttp)).status, 200, 'the other process has now verified and cached it');
    assert.equal((await get(t.http)).status, 200);
    await t.http().delete(`/admin/v1/tokens/${issued.body.jti}`).set('Authorization', `Bearer ${await t.operatorToken()}`);
    assert.equal((await get(t.http)).status, 401, 'revoked at once where it was revoked');

    now = new Date(start.getTime() + 1000);
    assert.equal((await get(otherHttp)).status, 200, 'still cached in the other process for a moment');
    now = new Date(start.getTime() + t.config.cacheSeconds * 1000 + 1000);
    assert.equal((await get(otherHttp)).status, 401, 'refused once the entry has expired');
  });
});
