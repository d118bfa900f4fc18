/**
 * Broker-side delays without plugins: a ladder of queues whose per-queue TTLs are powers of two
 * seconds. Each queue dead-letters into the next lower level; the message's routing key spells
 * its delay in binary, one word per level, so at every level it either waits there (bit 1) or
 * passes straight on (bit 0). After level 0 the delivery exchange routes it to its target queue
 * by the words after the bits. Delays survive broker restarts (durable queues, persistent
 * messages) and never sit unacked in a worker, so RabbitMQ's consumer_timeout cannot trip.
 *
 * This module is pure: names, routing keys and bindings. `delayed-delivery.ts` declares them.
 */

import type { QueueType } from '../routing';

/** Number of levels: the longest delay is 2^28 − 1 s ≈ 8.5 years (as Celery's native delayed delivery). */
export const DELAY_LEVELS = 28;

/** The longest delay the ladder can hold, in whole seconds. */
export const MAX_DELAY_SECONDS = 2 ** DELAY_LEVELS - 1;

/** The exchange that routes a message out of the ladder to its target queue. */
export const DELIVERY_EXCHANGE = 'taskq.delay.deliver';

/**
 * Which ladder: `classic` queues (one node each: a delay waits out a node's outage, it is not lost
 * with it, but it is held until the node is back) or `quorum` queues (replicated: delays go on when
 * any one node of a cluster dies). A queue's type cannot change once declared, so the two are
 * separate ladders with their own names; both end in the one delivery exchange. A delayed message
 * takes the ladder of its target queue's type.
 */
export type LadderKind = QueueType;

/** Exchange and queue name of one level (they share it): `taskq.delay.L5`, `taskq.delay.q.L5`. */
export function levelName(level: number, kind: LadderKind = 'classic'): string {
  return kind === 'quorum' ? `taskq.delay.q.L${level}` : `taskq.delay.L${level}`;
}

/** The exchange a delayed message is published to: the top of the classic ladder. */
export const LADDER_ENTRY_EXCHANGE = levelName(DELAY_LEVELS - 1);

/** The top of the ladder for a target queue of type `queueType` (absent: classic). */
export function ladderEntry(queueType: LadderKind | undefined): string {
  return queueType === 'quorum' ? QUORUM_LADDER_ENTRY_EXCHANGE : LADDER_ENTRY_EXCHANGE;
}

const QUORUM_LADDER_ENTRY_EXCHANGE = levelName(DELAY_LEVELS - 1, 'quorum');

/** A level's queue: how long it holds messages and where they go next. */
export interface LadderLevel {
  name: string;
  ttlMs: number;
  /** Dead-letter exchange: the next lower level, or the delivery exchange after level 0. */
  next: string;
  /** Binding key that catches messages whose bit for this level is 1. */
  waitKey: string;
  /** Binding key (exchange to exchange) that passes messages whose bit is 0 to `next`. */
  passKey: string;
}

/** The whole ladder, top level first (the declaration order that keeps every target present). */
export function ladderLevels(kind: LadderKind = 'classic'): LadderLevel[] {
  const levels: LadderLevel[] = [];
  for (let level = DELAY_LEVELS - 1; level >= 0; level--) {
    const prefix = '*.'.repeat(DELAY_LEVELS - 1 - level);
    levels.push({
      name: levelName(level, kind),
      ttlMs: 2 ** level * 1000,
      next: level === 0 ? DELIVERY_EXCHANGE : levelName(level - 1, kind),
      waitKey: `${prefix}1.#`,
      passKey: `${prefix}0.#`,
    });
  }
  return levels;
}

/**
 * `queue.declare` arguments of one level's queue. Quorum levels dead-letter at-least-once (a
 * message moves to the next level only once that level has it), which RabbitMQ allows only with
 * `x-overflow: reject-publish`; without it, it silently falls back to at-most-once.
 */
export function levelQueueArguments(level: LadderLevel, kind: LadderKind): Record<string, unknown> {
  const args: Record<string, unknown> = { 'x-message-ttl': level.ttlMs, 'x-dead-letter-exchange': level.next };
  if (kind === 'quorum') {
    args['x-queue-type'] = 'quorum';
    args['x-dead-letter-strategy'] = 'at-least-once';
    args['x-overflow'] = 'reject-publish';
  }
  return args;
}

/**
 * The routing key for a message that should wait `delaySeconds` (whole, 1 … MAX) and then land in
 * `queue`: the delay's bits, most significant first, then the queue name.
 */
export function delayRoutingKey(delaySeconds: number, queue: string): string {
  if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS) {
    throw new RangeError(`delay must be a whole number of seconds from 0 to ${MAX_DELAY_SECONDS}, got ${delaySeconds}`);
  }
  return `${delaySeconds.toString(2).padStart(DELAY_LEVELS, '0').split('').join('.')}.${queue}`;
}

/** The binding from the delivery exchange to a target queue: any bits, then exactly its name. */
export function deliveryBindingKey(queue: string): string {
  return `${'*.'.repeat(DELAY_LEVELS)}${queue}`;
}

/**
 * How many whole seconds a wait spends in the ladder: rounded UP, so a message never leaves the
 * broker before its eta (a Celery worker receiving it then runs it at once, and so does taskq's).
 * Waits under a second are not worth the ladder: the message goes straight to its queue and the
 * worker waits the rest. Delays beyond the ladder's reach are an error.
 */
export function splitDelay(delayMs: number): { ladderSeconds: number } {
  if (!(delayMs >= 1000)) return { ladderSeconds: 0 };
  const ladderSeconds = Math.ceil(delayMs / 1000);
  if (ladderSeconds > MAX_DELAY_SECONDS) {
    throw new RangeError(
      `a delay of ${Math.round(delayMs / 1000)} s exceeds the longest supported delay of ${MAX_DELAY_SECONDS} s (about 8.5 years)`,
    );
  }
  return { ladderSeconds };
}
