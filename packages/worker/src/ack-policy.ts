/**
 * The worker's one decision table: what happens to a delivery after each outcome.
 * Pure, so every row is unit-tested without a broker.
 *
 * Messages the worker cannot or will not run (unreadable, unknown task, refused content type, too
 * large, bad signature, rejected by the task, out of retries) are first copied — with
 * `x-taskq-*` headers saying why — to the dead-letter queue, confirmed; only then is the original
 * acked. Retries, re-delays, internal-error retries and redelivery counts work the same way: the
 * copy is published (confirmed) before the original is acked.
 *
 * No outcome requeues at once, except a task that never started on a stopping worker. When the
 * broker does not take a copy, the original goes back after a pause ('requeue-later'); when the
 * copy cannot even be built (a local error), it is rejected without requeue (to the queue's
 * `x-dead-letter-exchange` if it has one). Either way it can never spin.
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
  /** The message should be dead-lettered but its copy could not even be built or sent (a local error). */
  | 'dead-letter-unpublished'
  /**
   * A copy this delivery depends on (dead letter, re-delay, redelivery count, internal-error retry)
   * was not taken by the broker: it is down, refused it, or did not confirm in time.
   */
  | 'publish-failed'
  /** taskq failed while handling it: a copy counting the failure waits in the delay ladder (bounded, with backoff). */
  | 'internal-retried'
  /** It came back redelivered: a copy carrying its redelivery count is confirmed in its queue. */
  | 'recounted'
  /**
   * It was prefetched, not started, when a redelivered task was about to run alone: a copy (counts
   * unchanged) is confirmed in its queue, so a crash of that task cannot count against it.
   */
  | 'handed-back'
  /** The worker is stopping and the task had not started. */
  | 'not-started';

/** What to tell the broker. */
export type AckAction =
  /** basic.ack: done with this message. */
  | 'ack'
  /** basic.reject without requeue: never loop; the queue's dead-letter exchange gets it if it has one. */
  | 'dead-letter'
  /** basic.nack with requeue, at once: only for a task that never started (a stopping worker hands it back). */
  | 'requeue'
  /**
   * basic.nack with requeue after {@link REQUEUE_LATER_MS}, never at once: the broker could not take
   * a copy, so the message goes back rather than be lost, at a bounded rate. It then comes back
   * redelivered, and its redelivery count (kept in the broker) ends the cycle in a dead letter.
   */
  | 'requeue-later';

/** How long a delivery is held before an 'requeue-later' nack. */
export const REQUEUE_LATER_MS = 5_000;

const DECISIONS: Readonly<Record<DeliveryOutcome, AckAction>> = {
  succeeded: 'ack',
  // The task ran and its failure is the result: running it again is a retry, which must be asked for.
  failed: 'ack',
  // The next attempt is safely in the broker.
  retried: 'ack',
  // The task already ran once; a later redelivery runs it again (the retry that was due), and loses nothing.
  'retry-unpublished': 'requeue-later',
  expired: 'ack',
  delayed: 'ack',
  // The copy in the dead-letter queue is confirmed: the original can go.
  'dead-lettered': 'ack',
  // Redelivering a message we refuse would loop forever: let the broker dead-letter or drop it.
  'dead-letter-unpublished': 'dead-letter',
  // Nothing is lost, and nothing spins: it comes back later, counted.
  'publish-failed': 'requeue-later',
  'internal-retried': 'ack',
  recounted: 'ack',
  'handed-back': 'ack',
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
