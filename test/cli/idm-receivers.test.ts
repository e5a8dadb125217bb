import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startCliServer, type CliServer } from '../helpers/cli-server.ts';
import { USER_SCHEMA } from '../helpers/scim.ts';
import { waitUntil } from '../helpers/wait.ts';
import { ReferenceReceiver } from '../../examples/reference-receiver/receiver.ts';

describe('idm receivers: a change made by an admin reaches the reference receiver (SPEC §6.6)', () => {
  let cli: CliServer;
  let orgId: string;
  let admin: string;
  let reference: ReferenceReceiver;
  let endpoint: http.Server;
  let endpointUrl: string;

  before(async () => {
    cli = await startCliServer('csn:olle');
    orgId = JSON.parse((await cli.idm('org', 'create', '--name', 'Händelsegymnasiet', '--type', 'school', '--school-form', 'hogskola')).stdout).id;
    admin = (await cli.idm('token', 'issue', '--org', orgId, '--role', 'admin', '--subject', 'anna')).stdout.trim();
    // The receiver checks every SET against the server's published keys.
    reference = new ReferenceReceiver({ jwks: `${cli.server.url}/.well-known/jwks.json`, issuer: 'identity-manager', audience: 'mina-tjanster' });
    endpoint = http.createServer(reference.handler());
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    endpointUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/events`;
  });
  after(async () => {
    await new Promise<void>((resolve) => {
      endpoint.close(() => resolve());
      endpoint.closeAllConnections();
    });
    await cli.stop();
  });

  it('registers the portal with one command, and the replica gets the admin\'s new user', async () => {
    const added = JSON.parse((await cli.idm('receivers', 'add', '--name', 'Mina tjänster', '--audience', 'mina-tjanster', '--url', endpointUrl, '--orgs', orgId, '--full')).stdout);
    assert.equal(added.delivery, 'push');
    assert.deepEqual(added.organisationIds, [orgId]);

    const res = await fetch(`${cli.server.url}/scim/v2/Users`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/scim+json' },
      body: JSON.stringify({ schemas: [USER_SCHEMA], userName: 'ny.elev', name: { givenName: 'Ny', familyName: 'Elev' }, emails: [{ value: 'ny.elev@example.se', type: 'work' }] }),
    });
    assert.equal(res.status, 201);
    const user = await res.json();
    await waitUntil(() => reference.replica.users.has(user.id), 'the user at the receiver');
    assert.equal(reference.replica.users.get(user.id)!.userName, 'ny.elev');

    const listed = JSON.parse((await cli.idm('receivers', 'list', '--json')).stdout);
    assert.equal(listed.length, 1);
    assert.equal(listed[0].backlog, 0);
    assert.equal(listed[0].delivered, 1);
    assert.ok(listed[0].lastDeliveredAt);
    assert.match((await cli.idm('receivers', 'list')).stdout, /Mina tjänster.*push/s);
  });

  it('pauses, changes and removes a receiver, and refuses a plain-http endpoint elsewhere', async () => {
    const [receiver] = JSON.parse((await cli.idm('receivers', 'list', '--json')).stdout);
    const paused = JSON.parse((await cli.idm('receivers', 'update', receiver.id, '--enabled', 'false', '--events', 'create,delete', '--notice')).stdout);
    assert.equal(paused.enabled, false);
    assert.deepEqual(paused.eventTypes, ['create', 'delete']);
    assert.equal(paused.payload, 'notice');
    await assert.rejects(cli.idm('receivers', 'add', '--name', 'Fjärran', '--url', 'http://portal.example.se/events'), /https/);
    assert.match((await cli.idm('receivers', 'remove', receiver.id)).stdout, /removed/);
    assert.deepEqual(JSON.parse((await cli.idm('receivers', 'list', '--json')).stdout), []);
  });

  it('issues a poll receiver its token', async () => {
    const poller = JSON.parse((await cli.idm('receivers', 'add', '--name', 'Katalogen', '--poll')).stdout);
    assert.equal(poller.delivery, 'poll');
    const token = (await cli.idm('token', 'issue', '--role', 'receiver', '--receiver', poller.id, '--subject', 'katalogen')).stdout.trim();
    const res = await fetch(`${cli.server.url}/events/v1/poll`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ returnImmediately: true }) });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { sets: {}, moreAvailable: false });
  });
});
