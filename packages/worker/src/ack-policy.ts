/**
 * The worker's one decision table: what happens to a delivery after each outcome.
 * Pure, so every row is unit-tested without a broker.
 */

/** What came of one delivery. */
export type DeliveryOutcome =
  /** The handler returned. */
  | 'succeeded'
  /** The handler threw; the failure was reported to the caller. */
  | 'failed'
  /** Not decodable, not protocol v2, or a content type outside the accept list. */
  | 'malformed'
  /** No task of that name is registered in this worker. */
  | 'unknown-task'
  /** The task's `expires` passed before it could run; it was reported REVOKED. */
  | 'expired'
  /** The task's eta is still ahead; a copy was durably re-published into the delay ladder. */
  | 'delayed'
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
  // Redelivering a message that cannot be read would loop forever.
  malformed: 'dead-letter',
  // Another worker with this task may share the queue, but requeueing to ourselves would spin: dead-letter.
  'unknown-task': 'dead-letter',
  expired: 'ack',
  delayed: 'ack',
  'not-started': 'requeue',
};

/** The broker action for an outcome. */
export function ackActionFor(outcome: DeliveryOutcome): AckAction {
  return DECISIONS[outcome];
}
