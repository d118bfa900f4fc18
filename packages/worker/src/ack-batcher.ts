/**
 * Coalesces the acks of one channel into as few `basic.ack` frames as is safe.
 *
 * Every delivery is registered when it arrives and marked finished when its task is done. At a
 * flush, the finished deliveries below the oldest unfinished one are acked with a single
 * `multiple: true` ack of the highest of them — it cannot cover a running task, because none is
 * below it. Finished deliveries above a running one are acked one by one in the same flush, so a
 * long task never holds back the acks (and so the prefetch window) of short ones. Nothing waits
 * longer than one flush: the worker flushes at the end of the event-loop turn in which a task
 * finished (setImmediate), so the tasks finishing in one turn share it.
 *
 * Pure bookkeeping: the caller sends what {@link AckBatcher.flush} returns.
 */
export interface AckFrame {
  deliveryTag: number;
  multiple: boolean;
}

export class AckBatcher {
  /** Deliveries registered and not yet finished or dropped, in delivery-tag order (tags only grow on a channel). */
  private readonly unfinished = new Set<number>();
  /** Finished deliveries whose ack has not been sent yet. */
  private finished: number[] = [];

  /** A delivery arrived: it may not be covered by a multiple ack until it is finished. */
  delivered(deliveryTag: number): void {
    this.unfinished.add(deliveryTag);
  }

  /** The delivery's task is done and the message should be acked at the next flush. */
  finish(deliveryTag: number): void {
    this.unfinished.delete(deliveryTag);
    this.finished.push(deliveryTag);
  }

  /** The delivery was rejected or requeued on its own (a nack), so it is no longer waiting on us. */
  drop(deliveryTag: number): void {
    this.unfinished.delete(deliveryTag);
  }

  /** True when a flush would send something. */
  get hasPending(): boolean {
    return this.finished.length > 0;
  }

  /** The ack frames to send now, fewest first-safe: at most one multiple ack, then single acks. */
  flush(): AckFrame[] {
    if (this.finished.length === 0) return [];
    const oldestRunning = this.oldestUnfinished();
    let coveredUpTo = 0;
    let covered = 0;
    const singles: AckFrame[] = [];
    for (const tag of this.finished) {
      if (tag < oldestRunning) {
        covered++;
        if (tag > coveredUpTo) coveredUpTo = tag;
      } else {
        singles.push({ deliveryTag: tag, multiple: false });
      }
    }
    this.finished = [];
    if (covered === 0) return singles;
    return [{ deliveryTag: coveredUpTo, multiple: covered > 1 }, ...singles];
  }

  private oldestUnfinished(): number {
    // A Set iterates in insertion order and tags arrive in increasing order: the first is the lowest.
    for (const tag of this.unfinished) return tag;
    return Number.POSITIVE_INFINITY;
  }
}
