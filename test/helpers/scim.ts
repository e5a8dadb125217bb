import type supertest from 'supertest';
import type { TestApp } from './test-app.ts';
import type { Role } from '../../src/auth/tokens.ts';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const IDM_USER = 'urn:identity-manager:params:scim:schemas:extension:2.0:User';
export const IDM_GROUP = 'urn:identity-manager:params:scim:schemas:extension:2.0:Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** SCIM calls as one role in one organisation, with the token already set. */
export interface ScimClient {
  orgId: string;
  token: string;
  get: (path: string) => supertest.Test;
  post: (path: string, body: unknown) => supertest.Test;
  put: (path: string, body: unknown) => supertest.Test;
  patch: (path: string, body: unknown) => supertest.Test;
  delete: (path: string) => supertest.Test;
  createUser: (userName: string, extra?: Record<string, unknown>) => Promise<Record<string, any>>;
  groupId: (serviceCode: string) => Promise<string>;
}

export const SCIM_TEST_HOST = 'idm.test';

export async function scimClient(t: TestApp, orgId: string, role: Role = 'provisioner', subject?: string): Promise<ScimClient> {
  const token = await t.token(role, orgId, subject);
  // A fixed Host, as a client behind one name would send: locations are built on it.
  const auth = (test: supertest.Test) => test.set('Authorization', `Bearer ${token}`).set('Host', SCIM_TEST_HOST);
  const client: ScimClient = {
    orgId,
    token,
    get: (path) => auth(t.http().get(`/scim/v2${path}`)),
    post: (path, body) => auth(t.http().post(`/scim/v2${path}`)).set('Content-Type', 'application/scim+json').send(JSON.stringify(body)),
    put: (path, body) => auth(t.http().put(`/scim/v2${path}`)).set('Content-Type', 'application/scim+json').send(JSON.stringify(body)),
    patch: (path, body) => auth(t.http().patch(`/scim/v2${path}`)).set('Content-Type', 'application/scim+json').send(JSON.stringify(body)),
    delete: (path) => auth(t.http().delete(`/scim/v2${path}`)),
    async createUser(userName, extra = {}) {
      const res = await client.post('/Users', {
        schemas: [USER_SCHEMA],
        userName,
        name: { givenName: 'Test', familyName: userName },
        emails: [{ value: `${userName.replace(/[^a-z0-9.]/gi, '')}@example.se`, type: 'work', primary: true }],
        ...extra,
      });
      if (res.status !== 201) throw new Error(`createUser ${userName}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async groupId(serviceCode) {
      const res = await client.get(`/Groups?filter=${encodeURIComponent(`${IDM_GROUP}:serviceCode eq "${serviceCode}"`)}&excludedAttributes=members`);
      if (res.status !== 200 || res.body.Resources.length !== 1) throw new Error(`groupId ${serviceCode}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.Resources[0].id;
    },
  };
  return client;
}

export const patchOp = (...Operations: Record<string, unknown>[]) => ({ schemas: [PATCH_OP], Operations });
