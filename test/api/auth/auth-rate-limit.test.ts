import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { addressKey } from '../../../src/http/middleware/rate-limit.ts';

/** A POST from a chosen local address (any 127.x.y.z reaches the loopback server). */
function postFrom(port: number, localAddress: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, localAddress, method: 'POST', path, headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('/auth is limited per client address (SPEC §6.2)', () => {
  let t: TestApp;
  let server: http.Server;
  let port: number;

  before(async () => {
    t = await createTestApp({ authRateLimitPerMinute: 6, authRateLimitBurst: 3 });
    server = http.createServer(t.callback);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await t.close();
  });

  it('answers 429 with Retry-After beyond the allowance, whatever X-Forwarded-For says, and not to another address', async () => {
    const start = new Date();
    t.clock.now = start;
    try {
      const statuses = [];
      for (const path of ['/auth/forgot', '/auth/login', '/auth/password']) {
        statuses.push((await postFrom(port, '127.0.0.3', path, { userName: 'finns.inte' })).status);
      }
      assert.deepEqual(statuses, [202, 400, 400], 'the first three are answered');
      const limited = await postFrom(port, '127.0.0.3', '/auth/login', { userName: 'finns.inte', password: 'Gissning123' }, { 'X-Forwarded-For': '203.0.113.9' });
      assert.equal(limited.status, 429);
      assert.equal(limited.body.status, '429');
      assert.equal(limited.headers['retry-after'], '10', 'one request more at 6 a minute is 10 seconds away');
      assert.match(limited.body.detail, /Försök igen om 10 sekunder/);
      assert.equal((await postFrom(port, '127.0.0.3', '/auth/forgot', { userName: 'finns.inte' })).status, 429);

      assert.equal((await postFrom(port, '127.0.0.4', '/auth/forgot', { userName: 'finns.inte' })).status, 202, 'another address has its own allowance');

      t.clock.now = new Date(start.getTime() + 10_000);
      assert.equal((await postFrom(port, '127.0.0.3', '/auth/forgot', { userName: 'finns.inte' })).status, 202, 'the allowance refills');
      assert.equal((await postFrom(port, '127.0.0.3', '/auth/forgot', { userName: 'finns.inte' })).status, 429);
    } finally {
      t.clock.now = new Date();
    }
  });

  it('counts an IPv6 client by its /64 and an IPv4-mapped one by its IPv4 address', () => {
    assert.equal(addressKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
    assert.equal(addressKey('2001:db8:0:12::1'), '2001:db8:0:12::/64');
    assert.equal(addressKey('2001:0db8:0000:0012:ffff:1:2:3'), '2001:db8:0:12::/64');
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
  });

  it('is off with AUTH_RATE_LIMIT_PER_MINUTE=0', async () => {
    const open = await createTestApp({ authRateLimitPerMinute: 0, authRateLimitBurst: 1 });
    try {
      open.clock.now = new Date();
      for (let i = 0; i < 5; i++) assert.equal((await open.http().post('/auth/forgot').send({ userName: 'finns.inte' })).status, 202);
    } finally {
      await open.close();
    }
  });
});
