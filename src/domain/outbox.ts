import { SITE_PLACEHOLDER } from '../model/outbox-message.ts';
import type { OutboxEntry, OutboxFilter } from '../store/outbox-store.ts';
import type { Repositories } from '../store/repositories.ts';

/** Letters and e-mails of every organisation, newest first (SPEC §3.8), for operators. */
export function listOutbox(repos: Repositories, filter: OutboxFilter): Promise<OutboxEntry[]> {
  return repos.operator.outbox.list(filter);
}

/** An outbox entry as the operator API shows it; `siteUrl` fills in the link to the web pages. */
export function outboxEntryToJson(entry: OutboxEntry, siteUrl: string): Record<string, unknown> {
  return {
    id: entry.id,
    organisationId: entry.orgId,
    channel: entry.channel,
    recipient: entry.recipient,
    subject: entry.subject,
    body: entry.body.replaceAll(SITE_PLACEHOLDER, siteUrl),
    status: entry.status,
    attempts: entry.attempts,
    lastError: entry.lastError,
    createdAt: entry.createdAt.toISOString(),
    deliveredAt: entry.deliveredAt ? entry.deliveredAt.toISOString() : null,
  };
}
