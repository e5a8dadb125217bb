import { invalid, notFound, Conflict } from '../model/outcomes.ts';
import { isUuid } from '../model/ids.ts';
import { EVENT_TYPES, isEventType, type Receiver, type ReceiverFields, type ReceiverStatus } from '../model/receiver.ts';
import type { Repositories } from '../store/repositories.ts';
import type { Acting } from '../domain/tenant-request.ts';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * RFC 8935 §5.1 wants TLS; plain http is accepted only for a receiver on this machine
 * (loopback), for tests and a local reference receiver.
 */
function endpointOf(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || value.length > 2000) throw invalid('endpointUrl must be an https URL (or null for a receiver that polls)', 'invalidValue');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`endpointUrl "${value}" is not an absolute URL`, 'invalidValue');
  }
  if (url.username || url.password) throw invalid('endpointUrl may not carry a user name or password', 'invalidValue');
  if (url.protocol === 'https:') return url.href;
  if (url.protocol === 'http:' && LOOPBACK.test(url.hostname)) return url.href;
  throw invalid(`endpointUrl must use https (http only on loopback), got "${value}"`, 'invalidValue');
}

function text(value: unknown, name: string, max = 200): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) throw invalid(`${name} must be a non-empty string of at most ${max} characters`, 'invalidValue');
  return value.trim();
}

/**
 * A receiver's settings from a request body (JSON of /admin/v1/receivers). `creating`: name and
 * audience are required; otherwise only the fields given change.
 */
export function parseReceiverInput(body: unknown, creating: boolean): Partial<ReceiverFields> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a JSON object', 'invalidSyntax');
  const input = body as Record<string, unknown>;
  const known = new Set(['name', 'audience', 'endpointUrl', 'organisationIds', 'eventTypes', 'payload', 'enabled']);
  const unknown = Object.keys(input).find((k) => !known.has(k));
  if (unknown) throw invalid(`unknown field "${unknown}"; receivers have ${[...known].join(', ')}`, 'invalidValue');
  const out: Partial<ReceiverFields> = {};
  if (creating || input.name !== undefined) out.name = text(input.name, 'name');
  if (creating || input.audience !== undefined) out.audience = text(input.audience, 'audience', 2000);
  if (creating || input.endpointUrl !== undefined) out.endpointUrl = endpointOf(input.endpointUrl ?? null);
  if (input.organisationIds !== undefined && input.organisationIds !== null) {
    const ids = input.organisationIds;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 1000 || !ids.every((id) => typeof id === 'string' && isUuid(id))) {
      throw invalid('organisationIds must be a non-empty list of organisation ids, or null for every organisation', 'invalidValue');
    }
    out.orgIds = [...new Set(ids.map((id) => id.toLowerCase()))];
  } else if (creating || input.organisationIds === null) {
    out.orgIds = null;
  }
  if (input.eventTypes !== undefined && input.eventTypes !== null) {
    const types = input.eventTypes;
    if (!Array.isArray(types) || types.length === 0 || !types.every(isEventType)) {
      throw invalid(`eventTypes must be a non-empty list of ${EVENT_TYPES.join(', ')}, or null for all`, 'invalidValue');
    }
    out.eventTypes = [...new Set(types)];
  } else if (creating || input.eventTypes === null) {
    out.eventTypes = null;
  }
  if (creating || input.payload !== undefined) {
    const payload = input.payload ?? 'notice';
    if (payload !== 'notice' && payload !== 'full') throw invalid('payload must be "notice" or "full"', 'invalidValue');
    out.payload = payload;
  }
  if (creating || input.enabled !== undefined) {
    const enabled = input.enabled ?? true;
    if (typeof enabled !== 'boolean') throw invalid('enabled must be true or false', 'invalidValue');
    out.enabled = enabled;
  }
  return out;
}

async function checkOrganisations(repos: Repositories, orgIds: string[] | null | undefined): Promise<void> {
  for (const id of orgIds ?? []) {
    if (!(await repos.operator.organisations.find(id))) throw invalid(`organisationIds: no organisation ${id}`, 'invalidValue');
  }
}

function audit(repos: Repositories, acting: Acting, action: string, receiverId: string, changes: Record<string, { before?: unknown; after?: unknown }>) {
  return repos.operator.audit.append({
    orgId: null,
    actorSubject: acting.principal.subject,
    actorRole: acting.principal.role,
    requestId: acting.requestId,
    action,
    resourceType: 'Receiver',
    resourceId: receiverId,
    changes,
  }, acting.now);
}

function isNameTaken(err: unknown): boolean {
  return (err as { code?: string; constraint?: string }).code === '23505';
}

/** SPEC §6.6: an operator registers a receiver; it hears of changes made from then on. */
export async function registerReceiver(repos: Repositories, fields: ReceiverFields, acting: Acting): Promise<Receiver> {
  await checkOrganisations(repos, fields.orgIds);
  try {
    return await repos.transaction(async (tx) => {
      const receiver = await tx.operator.events.create(fields, acting.now);
      await audit(tx, acting, 'receiver.create', receiver.id, { name: { after: receiver.name }, endpointUrl: { after: receiver.endpointUrl } });
      return receiver;
    });
  } catch (err) {
    if (isNameTaken(err)) throw new Conflict(`a receiver named "${fields.name}" exists already`, 'uniqueness');
    throw err;
  }
}

export async function updateReceiver(repos: Repositories, id: string, fields: Partial<ReceiverFields>, acting: Acting): Promise<Receiver> {
  if (!isUuid(id)) throw notFound(`no receiver ${id}`);
  await checkOrganisations(repos, fields.orgIds);
  try {
    return await repos.transaction(async (tx) => {
      const receiver = await tx.operator.events.update(id, fields, acting.now);
      if (!receiver) throw notFound(`no receiver ${id}`);
      await audit(tx, acting, 'receiver.update', id, Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { after: v }])));
      return receiver;
    });
  } catch (err) {
    if (isNameTaken(err)) throw new Conflict(`a receiver named "${fields.name}" exists already`, 'uniqueness');
    throw err;
  }
}

export async function removeReceiver(repos: Repositories, id: string, acting: Acting): Promise<void> {
  if (!isUuid(id)) throw notFound(`no receiver ${id}`);
  await repos.transaction(async (tx) => {
    if (!(await tx.operator.events.remove(id))) throw notFound(`no receiver ${id}`);
    await audit(tx, acting, 'receiver.remove', id, {});
  });
}

export function listReceivers(repos: Repositories): Promise<ReceiverStatus[]> {
  return repos.operator.events.list();
}

export async function getReceiver(repos: Repositories, id: string): Promise<Receiver> {
  const receiver = isUuid(id) ? await repos.operator.events.find(id) : undefined;
  if (!receiver) throw notFound(`no receiver ${id}`);
  return receiver;
}

export function receiverToJson(r: Receiver | ReceiverStatus): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: r.id,
    name: r.name,
    audience: r.audience,
    delivery: r.endpointUrl ? 'push' : 'poll',
    endpointUrl: r.endpointUrl,
    organisationIds: r.orgIds,
    eventTypes: r.eventTypes,
    payload: r.payload,
    enabled: r.enabled,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
  if ('backlog' in r) {
    Object.assign(json, {
      backlog: r.backlog,
      delivered: r.deliveredCount,
      lastDeliveredAt: r.lastDeliveredAt?.toISOString() ?? null,
      lastError: r.lastError,
      lastErrorAt: r.lastErrorAt?.toISOString() ?? null,
      nextAttemptAt: r.nextAttemptAt?.toISOString() ?? null,
      parked: r.parkedCount,
    });
  }
  return json;
}
