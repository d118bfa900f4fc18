/**
 * The worker's one decision table: what happens to a delivery after each outcome.
 * Pure, so every row is unit-tested without a broker.
 *
 * Messages the worker cannot or will not run (unreadable, unknown task, refused content type, too
 * large, bad signature, rejected by the task, out of retries) are first copied — with
 * `x-taskq-*` headers saying why — to the dead-letter queue, confirmed; only then is the original
 * acked. When that copy cannot be published, the original is rejected without requeue instead
 * (to the queue's `x-dead-letter-exchange` if it has one): it must never loop. Retries work the
 * same way: the next attempt is published (confirmed) before the original is acked, and if it
 * cannot be, the original is requeued, never lost.
 */

/** What came of one delivery. */
export type DeliveryOutcome =
  /** The handler returned. */
  | 'succeeded'
  /** The handler threw (no retry asked for or due); the failure was reported to the caller. */
  | 'failed'
  /** The handler asked for a retry, or failed with an `autoretryFor` error: the next attempt is confirmed in the delay queues. */
  | 'retried'
  /** A retry was due but its copy could not be published. */
  | 'retry-unpublished'
  /** The task's `expires` passed before it could run; it was reported REVOKED. */
  | 'expired'
  /** The task's eta is still ahead; a copy was durably re-published into the delay ladder. */
  | 'delayed'
  /** The message went to the dead-letter queue: a confirmed copy with the reason in its headers. */
  | 'dead-lettered'
  /** The message should be dead-lettered but its copy could not be published. */
  | 'dead-letter-unpublished'
  /** The worker is stopping and the task had not started. */
  | 'not-started';

/** What to tell the broker. */
export type AckAction =
  /** basic.ack: done with this message. */
  | 'ack'
  /** basic.reject without requeue: never loop; the queue's dead-letter exchange gets it if it has one. */
  | 'dead-letter'
  /** basic.nack with requeue: another worker (or this one, later) will run it. */
  | 'requeue';

const DECISIONS: Readonly<Record<DeliveryOutcome, AckAction>> = {
  succeeded: 'ack',
  // The task ran and its failure is the result: running it again is a retry, which must be asked for.
  failed: 'ack',
  // The next attempt is safely in the broker.
  retried: 'ack',
  // The task already ran once; requeueing runs it again sooner than asked, but loses nothing.
  'retry-unpublished': 'requeue',
  expired: 'ack',
  delayed: 'ack',
  // The copy in the dead-letter queue is confirmed: the original can go.
  'dead-lettered': 'ack',
  // Redelivering a message we refuse would loop forever: let the broker dead-letter or drop it.
  'dead-letter-unpublished': 'dead-letter',
  'not-started': 'requeue',
};

/** The broker action for an outcome. */
export function ackActionFor(outcome: DeliveryOutcome): AckAction {
  return DECISIONS[outcome];
}

/** The dead-letter reason for a message that could not be decoded: a refused content type, or anything else. */
export function undecodableReason(error: unknown): 'content-type' | 'malformed' {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'CONTENT_TYPE_REJECTED' || code === 'SERIALIZER_FORBIDDEN' ? 'content-type' : 'malformed';
}
