import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { patchOp, scimClient, type ScimClient } from '../helpers/scim.ts';
import { OutboxWorker, retryDelayMs } from '../../src/delivery/outbox-worker.ts';
import { createRepositories } from '../../src/store/repositories.ts';
import { startSmtp, type Received } from '../helpers/smtp.ts';

describe('outbox delivery by SMTP (SPEC §3.8)', () => {
  let t: TestApp;
  let admin: ScimClient;
  let group: string;
  const state = { refuse: false, received: [] as Received[] };
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  const log = pino({ level: 'silent' });

  before(async () => {
    t = await createTestApp();
    admin = await scimClient(t, (await t.createOrg({ name: 'Postskolan', schoolForm: 'hogskola' })).id, 'admin');
    group = await admin.groupId('studietider-och-utbildningar');
    smtp = await startSmtp(state);
  });
  after(async () => {
    await new Promise<void>((resolve) => smtp.server.close(() => resolve()));
    await t.close();
  });

  const grantNewUser = async (name: string) => {
    const user = await admin.createUser(name);
    await admin.patch(`/Groups/${group}`, patchOp({ op: 'add', path: 'members', value: [{ value: user.id }] }));
    return user;
  };
  const worker = (now?: () => Date) => new OutboxWorker(createRepositories(t.testDb.db), log, { smtpUrl: smtp.url, from: 'Mina tjänster <no-reply@example.se>', now });

  it('sends the one-time password e-mail, then erases the secret; letters stay for the operators', async () => {
    const user = await grantNewUser('post.en@skola.se');
    const stored = await t.testDb.db('outbox').where({ user_id: user.id, channel: 'email' }).first();
    const w = worker();
    try {
      assert.equal(await w.deliverBatch(), 1);
    } finally {
      await w.stop();
    }
    assert.equal(state.received.length, 1);
    assert.deepEqual(state.received[0].to, [stored.recipient]);
    assert.ok(state.received[0].data.includes(stored.secret), 'the e-mail carries the one-time password');
    const after = await t.testDb.db('outbox').where({ id: stored.id }).first();
    assert.equal(after.status, 'delivered');
    assert.equal(after.secret, null);
    assert.ok(after.delivered_at);
    const letter = await t.testDb.db('outbox').where({ user_id: user.id, channel: 'letter' }).first();
    assert.equal(letter.status, 'pending');
  });

  it('retries with backoff when the server refuses, and delivers later', async () => {
    const user = await grantNewUser('post.tva@skola.se');
    const start = new Date();
    state.refuse = true;
    const first = worker(() => start);
    try {
      assert.equal(await first.deliverBatch(), 0);
    } finally {
      await first.stop();
    }
    const failed = await t.testDb.db('outbox').where({ user_id: user.id, channel: 'email' }).first();
    assert.equal(failed.status, 'pending');
    assert.equal(failed.attempts, 1);
    assert.match(failed.last_error, /mailbox unavailable/);
    assert.equal(new Date(failed.next_attempt_at).getTime(), start.getTime() + retryDelayMs(1));
    assert.ok(failed.secret, 'the secret stays until the message is delivered');

    state.refuse = false;
    const tooEarly = worker(() => new Date(start.getTime() + 1000));
    try {
      assert.equal(await tooEarly.deliverBatch(), 0, 'not before the backoff has passed');
    } finally {
      await tooEarly.stop();
    }
    const later = worker(() => new Date(start.getTime() + retryDelayMs(1) + 1000));
    try {
      assert.equal(await later.deliverBatch(), 1);
    } finally {
      await later.stop();
    }
    const delivered = await t.testDb.db('outbox').where({ id: failed.id }).first();
    assert.equal(delivered.status, 'delivered');
    assert.equal(delivered.attempts, 2);
  });

  it('two workers at once never send a message twice', async () => {
    state.received.length = 0;
    for (let i = 0; i < 12; i++) await grantNewUser(`post.parallell${i}@skola.se`);
    const a = worker();
    const b = worker();
    try {
      const [x, y] = await Promise.all([a.deliverBatch(), b.deliverBatch()]);
      const [x2, y2] = await Promise.all([a.deliverBatch(), b.deliverBatch()]);
      assert.equal(x + y + x2 + y2, 12);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const recipients = state.received.flatMap((r) => r.to);
    assert.equal(recipients.length, 12);
    assert.equal(new Set(recipients).size, 12);
  });

  it('backs off exponentially up to an hour', () => {
    assert.equal(retryDelayMs(1), 30_000);
    assert.equal(retryDelayMs(2), 60_000);
    assert.equal(retryDelayMs(20), 3_600_000);
  });
});
