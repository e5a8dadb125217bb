import type supertest from 'supertest';
import { USER_SCHEMA, scimClient } from './scim.ts';
import type { TestApp } from './test-app.ts';
import { recordSecret } from './secrets.ts';

/** The address test apps of the pages are reached at (IDM_PUBLIC_URL): forms must come from it. */
export const WEB_ORIGIN = 'http://idm.test';

/** A browser's cookie jar and forms, without a browser: GET a page, then post its form with the page's CSRF token. */
export interface WebClient {
  agent: supertest.Agent;
  get: (path: string) => supertest.Test;
  /** Posts `fields` as a form, with this session's CSRF token and our Origin unless `options` say otherwise. */
  post: (path: string, fields: Record<string, string | string[]>, options?: { csrf?: string | null; origin?: string | null }) => Promise<supertest.Response>;
  csrf: () => Promise<string>;
  signIn: (userName: string, password: string) => Promise<supertest.Response>;
}

export function webClient(t: TestApp): WebClient {
  const agent = t.http();
  let token: string | undefined;
  const client: WebClient = {
    agent,
    get: (path) => agent.get(path).set('Host', 'idm.test').set('Accept', 'text/html'),
    async csrf() {
      // The password page has forms whether or not anyone is signed in.
      const page = await client.get('/losenord');
      const match = /name="_csrf" value="([^"]+)"/.exec(page.text) ?? /name="csrf-token" content="([^"]+)"/.exec(page.text);
      if (!match) throw new Error(`no CSRF token on the page: ${page.status}`);
      token = match[1];
      return token;
    },
    async post(path, fields, options = {}) {
      const csrf = options.csrf === undefined ? (token ?? (await client.csrf())) : options.csrf;
      const body = new URLSearchParams();
      for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) body.append(name, v);
      if (csrf !== null) body.append('_csrf', csrf);
      const req = agent.post(path).set('Host', 'idm.test').set('Content-Type', 'application/x-www-form-urlencoded');
      const origin = options.origin === undefined ? WEB_ORIGIN : options.origin;
      if (origin !== null) req.set('Origin', origin);
      return req.send(body.toString());
    },
    async signIn(userName, password) {
      await client.csrf();
      const res = await client.post('/logga-in', { userName, password });
      // Signing in gives a new CSRF token; take it from the next page.
      token = undefined;
      return res;
    },
  };
  return client;
}

/**
 * A permission administrator with a password: created by an operator (who may write passwords),
 * then registered with a declaration through the operator API (SPEC §3.5).
 */
export async function createAdmin(t: TestApp, orgId: string, userName: string, password: string): Promise<{ id: string }> {
  recordSecret(password);
  const operator = await scimClient(t, orgId, 'operator');
  const created = await operator.post('/Users', {
    schemas: [USER_SCHEMA],
    userName,
    password,
    name: { givenName: 'Admin', familyName: userName },
    emails: [{ value: `${userName.replace(/[^a-z0-9.]/gi, '')}@example.se`, type: 'work' }],
  });
  if (created.status !== 201) throw new Error(`createAdmin: ${created.status} ${JSON.stringify(created.body)}`);
  const granted = await t.http()
    .post(`/admin/v1/organisations/${orgId}/administrators`)
    .set('Authorization', `Bearer ${await t.operatorToken()}`)
    .send({ userId: created.body.id, reference: 'F-2026-1', signedBy: 'Rektor Rut', signedByTitle: 'rektor', signedAt: '2026-01-15' });
  if (granted.status !== 201) throw new Error(`admin grant: ${granted.status} ${JSON.stringify(granted.body)}`);
  return { id: created.body.id };
}
