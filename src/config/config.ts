import path from 'node:path';

/** Everything the process reads from its environment, parsed once and typed. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  signingKey: string | undefined;
  issuer: string;
  audience: string;
  logLevel: string;
  maxBodyBytes: number;
  shutdownGraceMs: number;
  /** On SIGTERM, how long /readyz fails while requests are still served, before the drain begins. */
  shutdownDelayMs: number;
  /** Server processes (node's cluster) for `npm start`; above 1 only with DATABASE_URL. */
  workers: number;
  smtpUrl: string | undefined;
  smtpFrom: string;
  /** Seconds without activity before a session ends (SPEC §6.2: 20 minutes). */
  sessionIdleSeconds: number;
  /** Seconds before that end when the web pages ask whether to stay (the portal: two minutes). */
  sessionWarningSeconds: number;
  /** Hours after sign-in when a session ends whatever happens (SPEC §6.2: 8). */
  sessionAbsoluteHours: number;
  /** Seconds a verified token and an organisation row are remembered (0 turns the caches off). */
  cacheSeconds: number;
  /** SCIM requests a second per organisation before 429 (0: no limit), and the burst allowed. */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** /auth requests a minute per client address before 429 (0: no limit), and the burst allowed (SPEC §6.2). */
  authRateLimitPerMinute: number;
  authRateLimitBurst: number;
  /** The server's address as clients reach it (behind a proxy); otherwise taken from each request's Host. */
  publicUrl: string | undefined;
  /** The longest an RFC 8936 poll waits for events (SPEC §6.6). */
  eventPollWaitSeconds: number;
  /** How long a process holds a push receiver it delivers to; one that dies leaves it this long (SPEC §6.6). */
  eventLeaseSeconds: number;
  /** Public JWKs of earlier signing keys, still published at /.well-known/jwks.json (JSON array). */
  retiredPublicKeys: string | undefined;
}

export class ConfigError extends Error {}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function urlFrom(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`${name} must be an http or https URL, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

/** A JSON array of JWKs (kept as its text), or undefined when the variable is not set. */
function jwkListFrom(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${name} must be a JSON array of public JWKs`);
  }
  if (!Array.isArray(value) || !value.every((k) => typeof k === 'object' && k !== null && typeof (k as { kid?: unknown }).kid === 'string')) {
    throw new ConfigError(`${name} must be a JSON array of public JWKs, each with a kid`);
  }
  return raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    host: env.HOST || '127.0.0.1',
    port: intFrom(env, 'PORT', 8080),
    dataDir: path.resolve(env.DATA_DIR || './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    signingKey: env.IDM_SIGNING_KEY || undefined,
    issuer: env.IDM_ISSUER || 'identity-manager',
    audience: env.IDM_AUDIENCE || 'identity-manager',
    logLevel: env.LOG_LEVEL || 'info',
    maxBodyBytes: intFrom(env, 'MAX_BODY_BYTES', 1_048_576),
    shutdownGraceMs: intFrom(env, 'SHUTDOWN_GRACE_MS', 10_000),
    shutdownDelayMs: intFrom(env, 'SHUTDOWN_DELAY_MS', 0),
    workers: intFrom(env, 'WORKERS', 1),
    smtpUrl: env.SMTP_URL || undefined,
    smtpFrom: env.SMTP_FROM || 'Mina tjänster <no-reply@identity-manager.invalid>',
    // SESSION_IDLE_SECONDS wins over the older SESSION_IDLE_MINUTES, so a demonstration can use seconds.
    sessionIdleSeconds: intFrom(env, 'SESSION_IDLE_SECONDS', intFrom(env, 'SESSION_IDLE_MINUTES', 20) * 60),
    sessionWarningSeconds: intFrom(env, 'SESSION_WARNING_SECONDS', 120),
    sessionAbsoluteHours: intFrom(env, 'SESSION_ABSOLUTE_HOURS', 8),
    cacheSeconds: intFrom(env, 'IDM_CACHE_SECONDS', 5),
    rateLimitPerSecond: intFrom(env, 'RATE_LIMIT_PER_SECOND', 0),
    rateLimitBurst: intFrom(env, 'RATE_LIMIT_BURST', 100),
    authRateLimitPerMinute: intFrom(env, 'AUTH_RATE_LIMIT_PER_MINUTE', 20),
    authRateLimitBurst: intFrom(env, 'AUTH_RATE_LIMIT_BURST', 20),
    publicUrl: urlFrom(env, 'IDM_PUBLIC_URL'),
    eventPollWaitSeconds: intFrom(env, 'EVENT_POLL_WAIT_SECONDS', 30),
    retiredPublicKeys: jwkListFrom(env, 'IDM_RETIRED_PUBLIC_KEYS'),
    eventLeaseSeconds: intFrom(env, 'EVENT_LEASE_SECONDS', 60),
  };
}
