import fs from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose';

export interface SigningKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  kid: string;
}

export const KEY_FILE = 'signing-key.json';

export class MissingKeyError extends Error {}

async function fromJwk(jwk: JWK): Promise<SigningKey> {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d) {
    throw new MissingKeyError('the signing key must be a private EC P-256 JWK (ES256)');
  }
  const { d: _d, ...publicJwk } = jwk;
  return {
    privateKey: (await importJWK(jwk, 'ES256')) as CryptoKey,
    publicKey: (await importJWK(publicJwk, 'ES256')) as CryptoKey,
    kid: jwk.kid ?? 'idm-1',
  };
}

function parseJwk(text: string, source: string): JWK {
  try {
    return JSON.parse(text) as JWK;
  } catch {
    throw new MissingKeyError(`${source} is not a JSON Web Key`);
  }
}

/** Reads the key from IDM_SIGNING_KEY or DATA_DIR, never creating one (the CLI's path). */
export async function readSigningKey(dataDir: string, envKey: string | undefined): Promise<SigningKey> {
  if (envKey) return fromJwk(parseJwk(envKey, 'IDM_SIGNING_KEY'));
  const file = path.join(dataDir, KEY_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new MissingKeyError(
      `no signing key at ${file}: start the server once (npm start) to create it, or set IDM_SIGNING_KEY or DATA_DIR`,
    );
  }
  return fromJwk(parseJwk(text, file));
}

/** The server's path: the key from IDM_SIGNING_KEY, else DATA_DIR, created there on first start (mode 0600). */
export async function loadOrCreateSigningKey(dataDir: string, envKey: string | undefined): Promise<SigningKey> {
  if (envKey) return fromJwk(parseJwk(envKey, 'IDM_SIGNING_KEY'));
  const file = path.join(dataDir, KEY_FILE);
  if (!fs.existsSync(file)) {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: `idm-${Date.now().toString(36)}`, alg: 'ES256' };
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      // 'wx' so two processes starting at once cannot overwrite each other's key.
      fs.writeFileSync(file, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return readSigningKey(dataDir, undefined);
}

/** The key file of DATA_DIR as its JWK, or undefined when there is none (`idm db export`). */
export function readKeyFile(dataDir: string): JWK | undefined {
  const file = path.join(dataDir, KEY_FILE);
  if (!fs.existsSync(file)) return undefined;
  return parseJwk(fs.readFileSync(file, 'utf8'), file);
}

/** Whether two JWKs are the same key pair (the public point decides). */
export function sameKey(a: JWK, b: JWK): boolean {
  return a.kty === b.kty && a.crv === b.crv && a.x === b.x && a.y === b.y;
}

/** Writes DATA_DIR's key file (mode 0600), never over an existing one (`idm db import`). */
export async function installKeyFile(dataDir: string, jwk: JWK): Promise<void> {
  await fromJwk(jwk);
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, KEY_FILE), JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
}

/** IDM_SIGNING_KEY as a JWK. */
export function envKeyJwk(envKey: string): JWK {
  return parseJwk(envKey, 'IDM_SIGNING_KEY');
}
