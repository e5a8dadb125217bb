import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createTestApp, type TestApp } from '../../helpers/test-app.ts';
import { BULK_REQUEST, PATCH_OP, USER_SCHEMA, patchOp, scimClient, type ScimClient } from '../../helpers/scim.ts';

describe('termination requests (SPEC §3.3)', () => {
  let t: TestApp;
  let op: string;
  let orgId: string;
  let provisioner: ScimClient;
  let admin: ScimClient;
  let operator: ScimClient;

  before(async () => {
    t = await createTestApp();
    op = await t.operatorToken();
    orgId = (await t.createOrg({ name: 'Avslutsskolan' })).id;
    provisioner = await scimClient(t, orgId, 'provisioner');
    admin = await scimClient(t, orgId, 'admin');
    operator = await scimClient(t, orgId, 'operator');
  });
  after(() => t.close());

  const requestsOf = (userId: string) => t.testDb.db('termination_requests').where({ user_id: userId }).orderBy('opened_at');
  const openOf = (userId: string) => t.testDb.db('termination_requests').where({ user_id: userId, status: 'open' });
  const deactivate = (client: ScimClient, id: string) => client.patch(`/Users/${id}`, patchOp({ op: 'replace', path: 'active', value: false }));
  const activate = (client: ScimClient, id: string) => client.patch(`/Users/${id}`, patchOp({ op: 'replace', path: 'active', value: true }));
  const adminApi = {
    list: (query = '') => t.http().get(`/admin/v1/terminations${query}`).set('Authorization', `Bearer ${op}`),
    complete: (id: string, token = op) => t.http().post(`/admin/v1/terminations/${id}/complete`).set('Authorization', `Bearer ${token}`),
  };

  describe('opened when an admin or provisioner deactivates a user', () => {
    for (const role of ['admin', 'provisioner'] as const) {
      it(`by ${role} PATCH: exactly one open request, with who opened it`, async () => {
        const client = role === 'admin' ? admin : provisioner;
        const user = await provisioner.createUser(`patch.${role}`);
        const res = await deactivate(client, user.id);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.active, false);
        const [request, ...rest] = await requestsOf(user.id);
        assert.deepEqual(rest, []);
        assert.equal(request.status, 'open');
        assert.equal(request.org_id, orgId);
        assert.equal(request.opened_by_role, role);
        assert.equal(request.opened_by_subject, `${role}-tester`);
        assert.equal(request.user_name, `patch.${role}`);
        const event = await t.testDb.db('audit_events').where({ action: 'termination.open', resource_id: request.id }).first();
        assert.equal(event.actor_role, role);
        assert.deepEqual(event.changes.status, { after: 'open' });
        // The user is not deleted.
        assert.equal((await provisioner.get(`/Users/${user.id}`)).status, 200);
      });
    }

    it('by PUT', async () => {
      const user = await provisioner.createUser('put.deactivated');
      const { id: _id, meta: _meta, groups: _groups, ...body } = user;
      const res = await admin.put(`/Users/${user.id}`, { ...body, active: false });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal((await openOf(user.id)).length, 1);
    });

    it('by Bulk, and by an Entra-style string "False"', async () => {
      const user = await provisioner.createUser('bulk.deactivated');
      const entra = await provisioner.createUser('entra.deactivated');
      const res = await provisioner.post('/Bulk', {
        schemas: [BULK_REQUEST],
        Operations: [
          { method: 'PATCH', path: `/Users/${user.id}`, data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] } },
          { method: 'PATCH', path: `/Users/${entra.id}`, data: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] } },
        ],
      });
      assert.deepEqual(res.body.Operations.map((o: { status: string }) => o.status), ['200', '200']);
      assert.equal((await openOf(user.id)).length, 1);
      assert.equal((await openOf(entra.id)).length, 1);
    });

    it('a second deactivation, or another write to the inactive user, opens no second request', async () => {
      const user = await provisioner.createUser('twice.deactivated');
      assert.equal((await deactivate(admin, user.id)).status, 200);
      assert.equal((await deactivate(provisioner, user.id)).status, 200);
      assert.equal((await provisioner.patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'title', value: 'Lärare' }))).status, 200);
      assert.equal((await requestsOf(user.id)).length, 1);
    });

    it('five deactivations at once open exactly one request', async () => {
      const user = await provisioner.createUser('raced.deactivation');
      const statuses = (await Promise.all(Array.from({ length: 5 }, (_, i) => deactivate(i % 2 ? admin : provisioner, user.id)))).map((r) => r.status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
      assert.equal((await requestsOf(user.id)).length, 1);
    });

    it('opens none for a user created inactive, or written with active unchanged', async () => {
      const inactive = await provisioner.createUser('created.inactive', { active: false });
      const active = await provisioner.createUser('stays.active');
      assert.equal((await provisioner.patch(`/Users/${active.id}`, patchOp({ op: 'replace', path: 'active', value: true }))).status, 200);
      assert.deepEqual(await requestsOf(inactive.id), []);
      assert.deepEqual(await requestsOf(active.id), []);
    });

    it('opens none when an operator deactivates (operators delete users themselves)', async () => {
      const user = await provisioner.createUser('operator.deactivated');
      assert.equal((await deactivate(operator, user.id)).status, 200);
      assert.deepEqual(await requestsOf(user.id), []);
    });

    it('opens none when the write is refused, and the user stays active', async () => {
      const user = await provisioner.createUser('refused.write');
      // An admin may not set a password (SPEC §3.4): the whole PATCH is refused.
      const res = await admin.patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'active', value: false }, { op: 'replace', path: 'password', value: 'Hemligt123!' }));
      assert.equal(res.status, 403);
      assert.deepEqual(await requestsOf(user.id), []);
      assert.equal((await provisioner.get(`/Users/${user.id}`)).body.active, true);
    });
  });

  describe('cancelled when the user is reactivated', () => {
    for (const role of ['admin', 'provisioner', 'operator'] as const) {
      it(`by ${role}`, async () => {
        const client = { admin, provisioner, operator }[role];
        const user = await provisioner.createUser(`reactivated.by.${role}`);
        assert.equal((await deactivate(admin, user.id)).status, 200);
        assert.equal((await activate(client, user.id)).status, 200);
        const [request, ...rest] = await requestsOf(user.id);
        assert.deepEqual(rest, []);
        assert.equal(request.status, 'cancelled');
        assert.equal(request.closed_by, `${role}-tester`);
        assert.ok(request.closed_at);
        const event = await t.testDb.db('audit_events').where({ action: 'termination.cancel', resource_id: request.id }).first();
        assert.deepEqual(event.changes.status, { before: 'open', after: 'cancelled' });
        // A cancelled request cannot be completed; the user stays.
        assert.equal((await adminApi.complete(request.id)).status, 409);
        assert.equal((await provisioner.get(`/Users/${user.id}`)).status, 200);
      });
    }

    it('a new deactivation after a reactivation opens a new request', async () => {
      const user = await provisioner.createUser('second.round');
      await deactivate(admin, user.id);
      await activate(admin, user.id);
      await deactivate(provisioner, user.id);
      assert.deepEqual((await requestsOf(user.id)).map((r: { status: string }) => r.status), ['cancelled', 'open']);
    });
  });

  describe('GET /admin/v1/terminations', () => {
    it('lists requests across organisations, filtered by status and organisation', async () => {
      const otherOrg = (await t.createOrg({ name: 'Andra avslutsskolan' })).id;
      const other = await scimClient(t, otherOrg, 'admin');
      const otherUser = await other.createUser('annan.skola.avslut');
      const here = await provisioner.createUser('list.open');
      await deactivate(other, otherUser.id);
      await deactivate(admin, here.id);

      const res = await adminApi.list('?status=open');
      assert.equal(res.status, 200);
      assert.ok(res.body.every((r: { status: string }) => r.status === 'open'));
      const mine = res.body.find((r: { userId: string }) => r.userId === here.id);
      assert.deepEqual(Object.keys(mine).sort(), ['closedAt', 'closedBy', 'id', 'openedAt', 'openedBy', 'openedByRole', 'organisationId', 'status', 'userId', 'userName'].sort());
      assert.equal(mine.organisationId, orgId);
      assert.equal(mine.userName, 'list.open');
      assert.equal(mine.openedBy, 'admin-tester');
      assert.ok(res.body.some((r: { userId: string; organisationId: string }) => r.userId === otherUser.id && r.organisationId === otherOrg));

      const onlyOther = await adminApi.list(`?organisationId=${otherOrg}`);
      assert.deepEqual(onlyOther.body.map((r: { userId: string }) => r.userId), [otherUser.id]);
      const cancelled = await adminApi.list('?status=cancelled');
      assert.ok(cancelled.body.length > 0 && cancelled.body.every((r: { status: string }) => r.status === 'cancelled'));
      const all = await adminApi.list();
      assert.ok(all.body.length > res.body.length);
      // Newest first.
      const opened = all.body.map((r: { openedAt: string }) => r.openedAt);
      assert.deepEqual(opened, [...opened].sort().reverse());
    });

    it('refuses an unknown status, a malformed organisationId or limit with 400', async () => {
      for (const query of ['?status=pending', '?organisationId=abc', '?limit=0', '?limit=x']) {
        assert.equal((await adminApi.list(query)).status, 400, query);
      }
    });

    it('is for operators only', async () => {
      const res = await t.http().get('/admin/v1/terminations').set('Authorization', `Bearer ${await t.token('admin', orgId)}`);
      assert.equal(res.status, 403);
    });
  });

  describe('POST /admin/v1/terminations/:id/complete', () => {
    it('deletes the user through the SCIM delete code and marks the request completed', async () => {
      const user = await provisioner.createUser('to.be.ended');
      await deactivate(admin, user.id);
      const [request] = await openOf(user.id);
      const res = await adminApi.complete(request.id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, 'completed');
      assert.equal(res.body.userName, 'to.be.ended');
      assert.equal(res.body.closedBy, 'operator-tester');
      assert.equal((await provisioner.get(`/Users/${user.id}`)).status, 404);
      // The userName is free again (the server-wide registry was cleaned up like a SCIM DELETE).
      await provisioner.createUser('to.be.ended');
      const events = await t.testDb.db('audit_events').where({ org_id: orgId, actor_role: 'operator' }).whereIn('resource_id', [user.id, request.id]).pluck('action');
      assert.deepEqual(events.sort(), ['termination.complete', 'user.delete']);
      // Already closed: 409, nothing more happens.
      const again = await adminApi.complete(request.id);
      assert.equal(again.status, 409);
      assert.match(again.body.detail, /already completed/);
    });

    it('completes a request whose user was deleted over SCIM meanwhile', async () => {
      const user = await provisioner.createUser('deleted.meanwhile');
      await deactivate(admin, user.id);
      const [request] = await openOf(user.id);
      assert.equal((await operator.delete(`/Users/${user.id}`)).status, 204);
      const res = await adminApi.complete(request.id);
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'completed');
      assert.equal(res.body.userName, 'deleted.meanwhile');
    });

    it('answers 404 for an unknown or malformed id', async () => {
      assert.equal((await adminApi.complete(crypto.randomUUID())).status, 404);
      assert.equal((await adminApi.complete('nope')).status, 404);
    });

    it('is for operators only: an admin token gets 403 and the user stays', async () => {
      const user = await provisioner.createUser('admin.cannot.complete');
      await deactivate(admin, user.id);
      const [request] = await openOf(user.id);
      assert.equal((await adminApi.complete(request.id, await t.token('admin', orgId))).status, 403);
      assert.equal((await provisioner.get(`/Users/${user.id}`)).status, 200);
      assert.equal((await openOf(user.id)).length, 1);
    });

    it('two completions at once: one deletes, the other gets 409', async () => {
      const user = await provisioner.createUser('raced.completion');
      await deactivate(admin, user.id);
      const [request] = await openOf(user.id);
      const statuses = (await Promise.all([adminApi.complete(request.id), adminApi.complete(request.id)])).map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 409]);
      assert.equal(await t.testDb.db('audit_events').where({ action: 'termination.complete', resource_id: request.id }).count({ n: '*' }).first().then((r) => Number(r!.n)), 1);
    });
  });

  it('SCIM DELETE by an admin stays 403 (deactivation is the way)', async () => {
    const user = await provisioner.createUser('not.deletable', { schemas: [USER_SCHEMA] });
    const res = await admin.delete(`/Users/${user.id}`);
    assert.equal(res.status, 403);
    assert.match(res.body.detail, /Inaktivera användaren/);
  });
});
