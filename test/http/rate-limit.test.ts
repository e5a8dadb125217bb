import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { scimClient, type ScimClient } from '../helpers/scim.ts';

describe('throttling: 429 with Retry-After (SPEC §5.2)', () => {
  let t: TestApp;
  let a: ScimClient;
  let b: ScimClient;
  before(async () => {
    t = await createTestApp({ rateLimitPerSecond: 2, rateLimitBurst: 3 });
    a = await scimClient(t, (await t.createOrg({ name: 'Flitiga skolan' })).id);
    b = await scimClient(t, (await t.createOrg({ name: 'Lugna skolan' })).id);
  });
  after(() => t.close());

  it('answers 429 with Retry-After once an organisation exceeds its share, and not the others', async () => {
    const start = new Date();
    t.clock.now = start;
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await a.get('/Groups?excludedAttributes=members')).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      const limited = await a.get('/Users');
      assert.equal(limited.status, 429);
      assert.equal(limited.body.status, '429');
      assert.equal(limited.headers['retry-after'], '1');
      assert.equal((await b.get('/Users')).status, 200, 'another organisation has its own bucket');
      t.clock.now = new Date(start.getTime() + 1000);
      assert.equal((await a.get('/Users')).status, 200, 'the bucket refills');
    } finally {
      t.clock.now = new Date();
    }
  });
});
