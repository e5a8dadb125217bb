import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findLeaks } from './helpers/secrets.ts';

describe('the suite’s leak check', () => {
  it('finds a recorded secret, a JWT, a session token or a hash in a log line, and nothing in clean logs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leak-'));
    try {
      fs.writeFileSync(path.join(dir, 'secrets-1.txt'), `${JSON.stringify('Hemligt-OTP-abc')}\n`);
      fs.writeFileSync(path.join(dir, 'log-1.ndjson'), '{"msg":"request","path":"/auth/login"}\n');
      assert.deepEqual(findLeaks(dir).leaks, []);
      fs.appendFileSync(path.join(dir, 'log-2.ndjson'), [
        '{"msg":"oops","body":"Hemligt-OTP-abc"}',
        '{"auth":"Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbm5hIn0.c2lnbmF0dXJlc2lnbmF0dXJl"}',
        '{"token":"idms_abcdefghijklmnopqrstuvwxyz012345"}',
        '{"hash":"scrypt$131072$8$1$salt$key"}',
      ].join('\n'));
      assert.equal(findLeaks(dir).leaks.length, 4);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
