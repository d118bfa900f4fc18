/**
 * AMQP 0-9-1 reply codes, and reading one off an amqplib error. Branch on these numbers, never on
 * the broker's reply text: RabbitMQ's wording (`NOT_FOUND - no queue 'q' in vhost '/'`) is prose.
 */

/** The reply codes a broker closes a channel or a connection with (AMQP 0-9-1, section 1.2). */
export const AMQP_REPLY = {
  CONTENT_TOO_LARGE: 311,
  NO_ROUTE: 312,
  NO_CONSUMERS: 313,
  CONNECTION_FORCED: 320,
  INVALID_PATH: 402,
  ACCESS_REFUSED: 403,
  NOT_FOUND: 404,
  RESOURCE_LOCKED: 405,
  PRECONDITION_FAILED: 406,
  FRAME_ERROR: 501,
  SYNTAX_ERROR: 502,
  COMMAND_INVALID: 503,
  CHANNEL_ERROR: 504,
  UNEXPECTED_FRAME: 505,
  RESOURCE_ERROR: 506,
  NOT_ALLOWED: 530,
  NOT_IMPLEMENTED: 540,
  INTERNAL_ERROR: 541,
} as const;

/**
 * amqplib's text for a close frame (lib/format.js `closeMessage`): `<code> (<NAME>) with message
 * "<reply text>"`, e.g. `Operation failed: QueueDeclare; 404 (NOT-FOUND) with message "NOT_FOUND - …"`.
 */
const CLOSE_FRAME_TEXT = /\b([1-9]\d{2}) \([A-Z][A-Z-]*\) with message "/;

/**
 * The AMQP reply code of an error caused by the broker closing a channel or connection, e.g. 404
 * for a passive check on a missing queue; undefined for any other error (a socket error, amqplib's
 * `message nacked` or `channel closed`). amqplib puts the code on the error as a number `code`
 * (errno errors have string codes). Its recovery re-wraps an error that fails its `instanceof Error`
 * check (one made in another realm, e.g. under jest) as `new Error(String(err))`, which keeps only
 * the text: then the code is read from amqplib's close-frame wording, never from the broker's.
 */
export function replyCodeOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'number') return code;
  const match = typeof message === 'string' ? CLOSE_FRAME_TEXT.exec(message) : null;
  return match ? Number(match[1]) : undefined;
}

/** The name of a reply code, e.g. `NOT_FOUND` for 404; undefined for a code not in {@link AMQP_REPLY}. */
export function replyCodeName(code: number): keyof typeof AMQP_REPLY | undefined {
  return (Object.keys(AMQP_REPLY) as (keyof typeof AMQP_REPLY)[]).find((name) => AMQP_REPLY[name] === code);
}

/**
 * Whether a publish's confirm callback got a basic.nack rather than a lost channel. amqplib gives
 * neither a code (lib/channel.js: `new Error('message nacked')`, `new Error('channel closed')`), so
 * its own fixed wording is the only sign; it is amqplib's text, not the broker's.
 */
export function isPublishNack(err: unknown): boolean {
  return err instanceof Error && err.message === 'message nacked' && replyCodeOf(err) === undefined;
}
