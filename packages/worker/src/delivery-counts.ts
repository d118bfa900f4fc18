import { BrokerError, ClosedError, MAX_DELAY_SECONDS, PublishRejectedError } from '@taskq/core';
import { DELIVERY_COUNT_HEADERS } from '@taskq/core/internal';

/**
 * Counts a worker keeps in the headers of the copies it re-publishes, and the decisions they
 * drive. Pure, so each row is unit-tested without a broker.
 *
 * A classic queue only says whether a message was delivered before (`redelivered`), not how
 * often. A worker that receives a redelivered message therefore re-publishes it, confirmed, with
 * `x-taskq-redeliveries` one higher, and acks the original; the copy runs alone (no other task
 * beside it on that worker), so a crash while it runs is its own. The count lives in the
 * message, in the broker: it survives the death of every worker that held it, on any machine.
 *
 * A quorum queue counts by itself: a redelivery carries `x-delivery-count` (1, 2, …), kept by the
 * broker. There the redelivered message itself runs alone — no copy, no window between a copy's
 * confirm and the original's ack — and the queue's `x-delivery-limit` is the broker's backstop.
 */

/** The header in which a quorum queue counts a message's earlier deliveries (absent on the first). */
export const BROKER_DELIVERY_COUNT = 'x-delivery-count';

/** The default number of redeliveries after which a message is dead-lettered as `worker-crash`. */
export const DEFAULT_MAX_REDELIVERIES = 3;

/** Attempts at a delivery on which taskq itself failed, before it is dead-lettered as `internal-error`. */
export const MAX_INTERNAL_ATTEMPTS = 5;

/** A whole-number count header (0 when absent or not a whole number ≥ 0). Own properties only. */
export function countHeader(headers: Record<string, unknown> | undefined, name: string): number {
  if (!headers || !Object.hasOwn(headers, name)) return 0;
  const value = headers[name];
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/** What to do with a delivery, given how often it came back. */
export type RedeliveryDecision =
  /** A first delivery: run it as usual. */
  | { kind: 'run' }
  /** A copy that came back before: run it with no other task beside it. */
  | { kind: 'run-alone'; redeliveries: number }
  /** Redelivered now: re-publish it with this count, then ack the original. */
  | { kind: 'recount'; redeliveries: number }
  /** Redelivered as often as allowed: dead-letter it (`worker-crash`). */
  | { kind: 'give-up'; redeliveries: number };

/**
 * @param brokerCounts - the message came from a quorum queue, whose `x-delivery-count` header the
 * broker sets (trusted only there: on a classic queue any publisher could write it)
 */
export function decideRedelivery(
  redelivered: boolean,
  headers: Record<string, unknown> | undefined,
  maxRedeliveries: number,
  brokerCounts = false,
): RedeliveryDecision {
  const counted = countHeader(headers, DELIVERY_COUNT_HEADERS.redeliveries);
  if (!redelivered) return counted > 0 ? { kind: 'run-alone', redeliveries: counted } : { kind: 'run' };
  const fromBroker = brokerCounts ? countHeader(headers, BROKER_DELIVERY_COUNT) : 0;
  if (fromBroker > 0) {
    // Earlier hops through classic queues (a counted copy) add to the broker's count.
    const redeliveries = counted + fromBroker;
    return redeliveries >= maxRedeliveries ? { kind: 'give-up', redeliveries } : { kind: 'run-alone', redeliveries };
  }
  const redeliveries = counted + 1;
  return redeliveries >= maxRedeliveries ? { kind: 'give-up', redeliveries } : { kind: 'recount', redeliveries };
}

/** The delay before internal-error attempt `attempt + 1`: 2, 4, 8, 16 s… */
export function internalRetryDelayMs(attempt: number): number {
  return 2 ** Math.min(Math.max(attempt, 1), 10) * 1000;
}

/**
 * True when a publish failed because of the broker (down, reconnecting, a nack, no confirm in time,
 * or the app closing), so trying again later may work; false for an error no later attempt would
 * fix: a copy that cannot be built or encoded, or a destination that routes nowhere.
 */
export function isBrokerSideFailure(error: unknown): boolean {
  return error instanceof BrokerError || error instanceof PublishRejectedError || error instanceof ClosedError;
}

/** True when an eta is further ahead than the broker's delay ladder can hold. */
export function etaOutOfRange(eta: Date, now: number): boolean {
  return (eta.getTime() - now) / 1000 > MAX_DELAY_SECONDS;
}
