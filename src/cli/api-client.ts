import crypto from 'node:crypto';
import { readSigningKey } from '../auth/signing-key.ts';
import { signToken } from '../auth/tokens.ts';
import type { Config } from '../config/config.ts';

export class CliError extends Error {}

/**
 * Calls the operator API of a running server, authenticating with a short-lived operator token
 * signed with the server's own key (read from IDM_SIGNING_KEY or DATA_DIR).
 */
export function apiClient(config: Config, baseUrl: string, subject: string) {
  let cachedToken: string | undefined;
  async function token(): Promise<string> {
    if (cachedToken) return cachedToken;
    let key;
    try {
      key = await readSigningKey(config.dataDir, config.signingKey);
    } catch (err) {
      throw new CliError(`cannot sign an operator token: ${(err as Error).message}`);
    }
    const signed = await signToken(key, { issuer: config.issuer, audience: config.audience, leewaySeconds: 0 }, {
      role: 'operator',
      subject,
      ttlSeconds: 300,
      jti: `idm-cli-${crypto.randomUUID()}`,
    });
    cachedToken = signed.token;
    return cachedToken;
  }

  return async function call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(`/admin/v1${path}`, baseUrl);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          Authorization: `Bearer ${await token()}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`the server is not running at ${baseUrl} (start it with "npm start", or set IDM_URL)`);
    }
    const text = await res.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new CliError(`unexpected answer from ${url.href} (${res.status}): ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const detail = parsed?.detail ?? text;
      throw new CliError(res.status === 401 ? `the server refused the operator token: ${detail} (does the CLI use the same DATA_DIR or IDM_SIGNING_KEY as the server?)` : `${res.status}: ${detail}`);
    }
    return parsed as T;
  };
}

export type ApiCall = ReturnType<typeof apiClient>;
