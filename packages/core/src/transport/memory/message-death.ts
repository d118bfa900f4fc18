import type { StoredMessage } from './memory-queue';

/**
 * How a message expires and what dead-lettering writes on it, as RabbitMQ does: pure functions
 * over a stored message, so the header format is testable and kept in one place.
 */

/** Why a message was dead-lettered (RabbitMQ's `x-death` reasons). */
export type DeathReason = 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';

/** The shorter of the queue's TTL and the message's `expiration` (a string of milliseconds). */
export function effectiveTtl(queueTtl: number | undefined, expiration: unknown): number | undefined {
  const perMessage = expiration === undefined || expiration === null ? undefined : Number(expiration);
  const valid = perMessage !== undefined && Number.isFinite(perMessage) && perMessage >= 0 ? perMessage : undefined;
  if (queueTtl === undefined) return valid;
  return valid === undefined ? queueTtl : Math.min(queueTtl, valid);
}

/** Headers with RabbitMQ's `x-death` updated (one entry per queue and reason, latest first) and `x-first-death-*` set once. */
export function withDeath(message: StoredMessage, queue: string, reason: DeathReason): Record<string, unknown> {
  const headers: Record<string, unknown> = { ...(message.properties.headers ?? {}) };
  const deaths = Array.isArray(headers['x-death']) ? [...(headers['x-death'] as Array<Record<string, unknown>>)] : [];
  const index = deaths.findIndex((d) => d['queue'] === queue && d['reason'] === reason);
  const previous = index >= 0 ? deaths.splice(index, 1)[0] : undefined;
  const entry: Record<string, unknown> = {
    count: (typeof previous?.['count'] === 'number' ? previous['count'] : 0) + 1,
    reason,
    queue,
    time: { '!': 'timestamp', value: Math.floor(Date.now() / 1000) },
    exchange: message.exchange,
    'routing-keys': [message.routingKey],
  };
  if (message.properties.expiration !== undefined) entry['original-expiration'] = message.properties.expiration;
  deaths.unshift(entry);
  headers['x-death'] = deaths;
  if (headers['x-first-death-reason'] === undefined) {
    headers['x-first-death-reason'] = reason;
    headers['x-first-death-queue'] = queue;
    headers['x-first-death-exchange'] = message.exchange;
  }
  return headers;
}
