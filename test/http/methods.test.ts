import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type supertest from 'supertest';
import { createTestApp, capturedLogs, type TestApp } from '../helpers/test-app.ts';
import { scimClient, type ScimClient } from '../helpers/scim.ts';
import { startCliServer } from '../helpers/cli-server.ts';

const UNIMPLEMENTED = ['TRACE', 'PROPFIND', 'LOCK', 'MKCOL', 'SEARCH', 'PURGE'];

/** An answer as it came: status, headers and the body as text, whatever its type. */
type Answer = { status: number; headers: Record<string, string>; text: string };

const assertScimError = (res: Answer, status: number, what: string) => {
  assert.equal(res.status, status, `${what}: ${res.text}`);
  assert.equal(res.headers['content-type'], 'application/scim+json', what);
  const body = JSON.parse(res.text);
  assert.deepEqual(body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'], what);
  assert.equal(body.status, String(status), what);
  assert.equal(typeof body.detail, 'string', what);
  return body as { detail: string };
};

/** Log lines written since `mark`, parsed. */
const logsSince = (mark: number) => capturedLogs.slice(mark).map((line) => JSON.parse(line) as { level: number; msg: string; method?: string; status?: number });

describe('methods (RFC 9110 §9, §15.5.6, §15.6.2)', () => {
  let t: TestApp;
  let scim: ScimClient;
  let userId: string;
  before(async () => {
    t = await createTestApp();
    scim = await scimClient(t, (await t.createOrg()).id);
    userId = (await scim.createUser('metod.test')).id;
  });
  after(() => t.close());

  const paths = () => ['/scim/v2/Users', `/scim/v2/Users/${userId}`, '/scim/v2/Nothing', '/auth/login', '/admin/v1/organisations', '/api/v1/users.csv', '/healthz', '/', '/nothing/at/all'];
  const send = async (method: string, path: string, token?: string): Promise<Answer> => {
    // supertest has a function for every method node knows, named in lower case.
    const agent = t.http() as unknown as Record<string, (path: string) => supertest.Test>;
    const req = agent[method.toLowerCase()](path).buffer(true).parse((res, done) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => done(null, text));
    });
    const res = await (token ? req.set('Authorization', `Bearer ${token}`) : req);
    // A HEAD answer has no body to parse.
    return { status: res.status, headers: res.headers, text: typeof res.body === 'string' ? res.body : '' };
  };

  it('TRACE, PROPFIND, LOCK, MKCOL, SEARCH and PURGE are 501 on every path, with and without a token, logged at info only', async () => {
    const mark = capturedLogs.length;
    let answered = 0;
    for (const method of UNIMPLEMENTED) {
      for (const path of paths()) {
        for (const token of [undefined, scim.token]) {
          const res = await send(method, path, token);
          const body = assertScimError(res, 501, `${method} ${path}${token ? ' with a token' : ''}`);
          assert.match(body.detail, new RegExp(`the method ${method} is not implemented by this server`));
          answered++;
        }
      }
    }
    const lines = logsSince(mark);
    assert.deepEqual(lines.filter((l) => l.level > 30), [], 'nothing above info');
    assert.equal(lines.filter((l) => l.msg === 'request' && l.status === 501).length, answered);
  });

  it('a method served elsewhere but not on this path is 405 with the Allow header of the path, with and without a token', async () => {
    const mark = capturedLogs.length;
    const cases: [string, string, string][] = [
      ['DELETE', '/scim/v2/Users', 'HEAD, GET, POST'],
      ['PUT', '/scim/v2/Groups', 'HEAD, GET, POST'],
      ['POST', `/scim/v2/Users/${userId}`, 'HEAD, GET, PUT, PATCH, DELETE'],
      ['GET', '/auth/login', 'POST'],
      ['HEAD', '/auth/login', 'POST'],
      ['DELETE', '/healthz', 'HEAD, GET'],
      ['PATCH', '/admin/v1/organisations', 'HEAD, GET, POST'],
    ];
    for (const [method, path, allow] of cases) {
      for (const token of [undefined, scim.token]) {
        const res = await send(method, path, token);
        const what = `${method} ${path}${token ? ' with a token' : ''}`;
        assert.equal(res.status, 405, what);
        assert.equal(res.headers.allow, allow, what);
        assert.equal(res.headers['content-type'], 'application/scim+json', what);
        if (method !== 'HEAD') assert.match(assertScimError(res, 405, what).detail, new RegExp(`${method} is not allowed on ${path}`));
      }
    }
    assert.deepEqual(logsSince(mark).filter((l) => l.level > 30), []);
  });

  it('OPTIONS answers 204 with Allow on a known path and 404 elsewhere; HEAD answers as GET does, without a body', async () => {
    const options = await send('OPTIONS', '/scim/v2/Users');
    assert.equal(options.status, 204);
    assert.equal(options.headers.allow, 'HEAD, GET, POST');
    assert.equal(options.headers['content-type'], undefined);
    assert.equal((await send('OPTIONS', '/auth/login')).headers.allow, 'POST');
    assertScimError(await send('OPTIONS', '/nothing'), 404, 'OPTIONS /nothing');

    const head = await send('HEAD', `/scim/v2/Users/${userId}`, scim.token);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-type'], 'application/scim+json');
    const get = await send('GET', `/scim/v2/Users/${userId}`, scim.token);
    assert.equal(head.headers['content-length'], get.headers['content-length']);
    assert.equal(head.headers.etag, get.headers.etag);
    assert.equal((await send('HEAD', '/scim/v2/Users')).status, 401);
    assert.equal((await send('HEAD', '/nothing')).status, 404);
  });
});

describe('CONNECT on a listening server', () => {
  it('is 501 with a SCIM error body and the connection closed, not dropped', async () => {
    const cli = await startCliServer('csn:test');
    try {
      const { port } = new URL(cli.server.url);
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
        let text = '';
        socket.on('data', (c: Buffer) => (text += c.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      const [head, body] = answer.split('\r\n\r\n');
      assert.match(head, /^HTTP\/1\.1 501 Not Implemented\r\n/);
      assert.match(head, /\r\nContent-Type: application\/scim\+json\r\n/);
      assert.match(head, /\r\nConnection: close(\r\n|$)/);
      assert.deepEqual(JSON.parse(body), {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '501', detail: 'the method CONNECT is not implemented by this server',
      });
      assert.equal((await fetch(`${cli.server.url}/healthz`)).status, 200, 'the server still serves');
    } finally {
      await cli.stop();
    }
  });
});
