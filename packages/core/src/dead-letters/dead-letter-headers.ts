/**
 * What a dead letter says about itself: the `x-taskq-*` headers a worker adds to the copy it puts
 * in the dead-letter queue. Pure, shared by the worker (writing) and the CLI (reading).
 */

/** The default dead-letter queue, for queues whose routing file names no `deadLetter` target. */
export const DEFAULT_DEAD_LETTER_QUEUE = 'taskq.dead';

/** Why a message was dead-lettered (the `x-taskq-reason` header). */
export type DeadLetterReason =
  /** A task used all its retries and still failed. */
  | 'max-retries'
  /** Undecodable body, not a Celery task message, or malformed protocol headers. */
  | 'malformed'
  /** No task of that name is registered in the worker that received it. */
  | 'unknown-task'
  /** Its content type is not in the worker's accept list (pickle always lands here). */
  | 'content-type'
  /** Its body is bigger than the worker's `maxMessageBytes`. */
  | 'too-large'
  /** Missing (when signing is required), malformed or wrong signature. */
  | 'bad-signature'
  /** The handler threw `Reject`. */
  | 'rejected'
  /** Its `eta` is further ahead than the broker's delay ladder can hold (about 8.5 years). */
  | 'eta-out-of-range'
  /** taskq itself failed while handling it, on every one of its bounded attempts (a bug: please report it). */
  | 'internal-error'
  /** It was in hand each time a worker died (or lost its broker connection) `maxRedeliveries` times. */
  | 'worker-crash'
  /** The task ran, but its result could not be stored within the worker's `resultStoreTimeoutMs`; the result is in `x-taskq-result`. */
  | 'result-backend-unavailable';

/** Every reason, in the order documentation lists them. */
export const DEAD_LETTER_REASONS: readonly DeadLetterReason[] = [
  'max-retries',
  'malformed',
  'unknown-task',
  'content-type',
  'too-large',
  'bad-signature',
  'rejected',
  'eta-out-of-range',
  'internal-error',
  'worker-crash',
  'result-backend-unavailable',
];

/** Header names. */
export const DEAD_LETTER_HEADERS = {
  reason: 'x-taskq-reason',
  error: 'x-taskq-error',
  task: 'x-taskq-task',
  originalQueue: 'x-taskq-original-queue',
  attempts: 'x-taskq-attempts',
  deadLetteredAt: 'x-taskq-dead-lettered-at',
  /** With reason `result-backend-unavailable`: the task's encoded result document (as the backend would have stored it). */
  result: 'x-taskq-result',
} as const;

/**
 * Headers a worker keeps on the messages it re-publishes, counting what happened to them in the
 * broker rather than in any one worker's memory (so the count survives the worker's death).
 */
export const DELIVERY_COUNT_HEADERS = {
  /** How many times the message came back from the broker redelivered (the worker holding it died or lost its connection). */
  redeliveries: 'x-taskq-redeliveries',
  /** How many times handling it failed inside taskq itself (each retried later, through the delay ladder). */
  internalErrors: 'x-taskq-internal-errors',
} as const;

/** The dead-letter note's prefix; `replay` removes every header that starts with it (except the signature). */
const NOTE_PREFIX = 'x-taskq-';
const KEPT_ON_REPLAY = new Set(['x-taskq-signature']);

/** `x-taskq-error` is cut to this many characters (RabbitMQ headers live in memory with the message). */
export const MAX_ERROR_HEADER_CHARS = 1024;

/** The facts recorded on a dead letter. */
export interface DeadLetterNote {
  reason: DeadLetterReason;
  /** The error message (truncated to ~1 KB). */
  error: string;
  /** The task name, when the message was readable far enough to know it. */
  task?: string | undefined;
  /** The queue the worker consumed it from. */
  originalQueue: string;
  /** How many times it ran or was tried: retries + 1. */
  attempts: number;
  deadLetteredAt: Date;
  /** With reason `result-backend-unavailable`: the encoded result document that could not be stored. */
  result?: string | Buffer | undefined;
}

/** The headers for a dead letter: the original headers plus the note (note wins on a clash). */
export function deadLetterHeaders(original: Record<string, unknown> | undefined, note: DeadLetterNote): Record<string, unknown> {
  const headers: Record<string, unknown> = {
    ...original,
    [DEAD_LETTER_HEADERS.reason]: note.reason,
    [DEAD_LETTER_HEADERS.error]: truncate(note.error, MAX_ERROR_HEADER_CHARS),
    [DEAD_LETTER_HEADERS.originalQueue]: note.originalQueue,
    [DEAD_LETTER_HEADERS.attempts]: note.attempts,
    [DEAD_LETTER_HEADERS.deadLetteredAt]: note.deadLetteredAt.toISOString(),
  };
  if (note.task !== undefined) headers[DEAD_LETTER_HEADERS.task] = truncate(note.task, 255);
  else delete headers[DEAD_LETTER_HEADERS.task];
  if (note.result !== undefined) headers[DEAD_LETTER_HEADERS.result] = note.result;
  else delete headers[DEAD_LETTER_HEADERS.result];
  return headers;
}

/** What a dead letter's headers say, read tolerantly (RabbitMQ's own `x-death` is a fallback). */
export interface DeadLetterSummary {
  /** The task id (`id` header, else the correlation id). */
  id: string | undefined;
  task: string | undefined;
  reason: string | undefined;
  error: string | undefined;
  originalQueue: string | undefined;
  attempts: number | undefined;
  deadLetteredAt: string | undefined;
}

/**
 * Read the note (and the task's identity) from a dead letter's headers and properties. A message
 * RabbitMQ dead-lettered itself (a quorum queue's delivery limit, an expired TTL, a full queue, a
 * reject by another client) has no note: its reason (`broker:delivery_limit`), original queue and
 * time then come from the latest `x-death` entry, else from `x-first-death-*`.
 */
export function readDeadLetter(headers: Record<string, unknown> | undefined, correlationId?: string): DeadLetterSummary {
  const h = headers ?? {};
  const attempts = h[DEAD_LETTER_HEADERS.attempts];
  const death = latestDeath(h['x-death']);
  const brokerReason = text(death?.['reason']) ?? text(h['x-first-death-reason']);
  const noteReason = text(h[DEAD_LETTER_HEADERS.reason]);
  return {
    id: text(h['id']) ?? text(correlationId),
    task: text(h[DEAD_LETTER_HEADERS.task]) ?? text(h['task']),
    reason: noteReason ?? (brokerReason !== undefined ? `broker:${brokerReason}` : undefined),
    error: text(h[DEAD_LETTER_HEADERS.error]) ?? (noteReason === undefined ? brokerReasonText(brokerReason) : undefined),
    originalQueue: text(h[DEAD_LETTER_HEADERS.originalQueue]) ?? text(death?.['queue']) ?? text(h['x-first-death-queue']),
    attempts: typeof attempts === 'number' ? attempts : typeof h['retries'] === 'number' ? h['retries'] + 1 : undefined,
    deadLetteredAt: text(h[DEAD_LETTER_HEADERS.deadLetteredAt]) ?? timestampText(death?.['time']),
  };
}

/** What RabbitMQ's own dead-letter reasons mean, for `taskq dead-letters list`. */
const BROKER_REASONS: Readonly<Record<string, string>> = {
  delivery_limit: `RabbitMQ dead-lettered it: it was delivered more often than the quorum queue's deliveryLimit allows`,
  expired: `RabbitMQ dead-lettered it: it expired (the queue's messageTtl or the message's expiration)`,
  maxlen: `RabbitMQ dead-lettered it: the queue was full (maxLength)`,
  rejected: `RabbitMQ dead-lettered it: a consumer rejected it without requeueing`,
};

function brokerReasonText(reason: string | undefined): string | undefined {
  return reason === undefined ? undefined : (BROKER_REASONS[reason] ?? `RabbitMQ dead-lettered it (reason '${reason}')`);
}

/** The most recent entry of RabbitMQ's `x-death` list (it puts the latest first). */
function latestDeath(xDeath: unknown): Record<string, unknown> | undefined {
  const first: unknown = Array.isArray(xDeath) ? xDeath[0] : undefined;
  return typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : undefined;
}

/** An AMQP timestamp (seconds; amqplib decodes it as `{ '!': 'timestamp', value }`) as an ISO string. */
function timestampText(value: unknown): string | undefined {
  const seconds = typeof value === 'object' && value !== null ? (value as { value?: unknown }).value : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
}

/** The headers for replaying a dead letter: the note removed, everything else (signature included) kept. */
export function withoutDeadLetterNote(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (!key.startsWith(NOTE_PREFIX) || KEPT_ON_REPLAY.has(key)) kept[key] = value;
  }
  return kept;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
