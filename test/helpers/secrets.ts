import fs from 'node:fs';
import path from 'node:path';

/**
 * The suite's leak check (SPEC §6.1, the credentials issue): every secret a test uses is recorded
 * here, every log line any test app writes is kept beside it, and test/run.ts greps the logs of
 * the whole run for the secrets once all test files have finished.
 */
const dir = process.env.IDM_TEST_ARTIFACTS;

export function recordSecret(value: string): string {
  if (dir && value) fs.appendFileSync(path.join(dir, `secrets-${process.pid}.txt`), `${JSON.stringify(value)}\n`);
  return value;
}

export function recordLogLine(line: string): void {
  if (dir) fs.appendFileSync(path.join(dir, `log-${process.pid}.ndjson`), line.endsWith('\n') ? line : `${line}\n`);
}

/** Returns the leaks found in `dir`: secrets that appear in a log line, and token-shaped strings. */
export function findLeaks(artifacts: string): { secrets: number; lines: number; leaks: string[] } {
  const files = fs.readdirSync(artifacts);
  const secrets = files.filter((f) => f.startsWith('secrets-')).flatMap((f) => fs.readFileSync(path.join(artifacts, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string));
  const lines = files.filter((f) => f.startsWith('log-')).flatMap((f) => fs.readFileSync(path.join(artifacts, f), 'utf8').split('\n').filter(Boolean));
  const leaks: string[] = [];
  const unique = [...new Set(secrets)].filter((s) => s.length >= 6);
  for (const line of lines) {
    for (const secret of unique) if (line.includes(secret)) leaks.push(`secret ${secret.slice(0, 4)}… in log line ${line.slice(0, 120)}`);
    if (/eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/.test(line)) leaks.push(`a JWT in log line ${line.slice(0, 120)}`);
    if (/idms_[\w-]{20,}/.test(line)) leaks.push(`a session token in log line ${line.slice(0, 120)}`);
    if (/scrypt\$\d+\$/.test(line)) leaks.push(`a password hash in log line ${line.slice(0, 120)}`);
  }
  return { secrets: unique.length, lines: lines.length, leaks };
}
