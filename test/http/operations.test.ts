import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, capturedLogs, type TestApp } from '../helpers/test-app.ts';

describe('operations endpoints and request handling', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  it('GET /healthz and /readyz answer 200', async () => {
    assert.equal((await t.http().get('/healthz')).status, 200);
    const ready = await t.http().get('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
  });

  it('GET /metrics serves Prometheus text with request durations', async () => {
    await t.http().get('/healthz');
    const res = await t.http().get('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /text\/plain/);
    assert.match(res.text, /idm_http_request_duration_seconds_bucket\{.*route="\/healthz"/);
    assert.match(res.text, /process_cpu_seconds_total/);
  });

  it('keeps a caller X-Request-Id and makes one otherwise', async () => {
    const given = await t.http().get('/healthz').set('X-Request-Id', 'trace-abc-123');
    assert.equal(given.headers['x-request-id'], 'trace-abc-123');
    const made = await t.http().get('/healthz');
    assert.match(made.headers['x-request-id'], /^[0-9a-f-]{36}$/);
    const hostile = await t.http().get('/healthz').set('X-Request-Id', 'a b\tc<script>');
    assert.notEqual(hostile.headers['x-request-id'], 'a b\tc<script>');
  });

  it('answers unknown paths with a SCIM 404 and wrong methods with 405', async () => {
    const missing = await t.http().get('/scim/v2/Nothing');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.status, '404');
    const wrong = await t.http().delete('/healthz');
    assert.equal(wrong.status, 405);
    assert.match(wrong.headers['content-type'], /application\/scim\+json/);
  });

  it('writes one JSON log line per request with request id, organisation, role, status and duration, and no token', async () => {
    const org = await t.createOrg();
    const token = await t.token('admin', org.id, 'log-tester');
    await t.http().get('/scim/v2/ServiceProviderConfig').set('Authorization', `Bearer ${token}`).set('X-Request-Id', 'log-line-check');
    const lines = capturedLogs.map((l) => JSON.parse(l)).filter((l) => l.requestId === 'log-line-check');
    assert.equal(lines.length, 1);
    assert.equal(lines[0].status, 200);
    assert.equal(lines[0].org, org.id);
    assert.equal(lines[0].role, 'admin');
    assert.equal(typeof lines[0].durationMs, 'number');
    assert.ok(!capturedLogs.some((l) => l.includes(token)), 'a token reached the log');
  });

  it('refuses a body over the size limit with 413', async () => {
    const small = await createTestAppWithLimit(1000);
    try {
      const res = await small.http().post('/admin/v1/organisations').set('Authorization', `Bearer ${await small.operatorToken()}`).send({ name: 'x'.repeat(5000), type: 'municipality' });
      assert.equal(res.status, 413);
      assert.equal(res.body.status, '413');
      assert.equal((await small.testDb.db('organisations').count({ n: '*' }).first())!.n, '0');
    } finally {
      await small.close();
    }
  });
});

async function createTestAppWithLimit(maxBodyBytes: number) {
  return createTestApp({ maxBodyBytes });
}
