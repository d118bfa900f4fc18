/**
 * Deadlines for many waits that all last the same time (every publish waits `sendTimeoutMs` for
 * its confirm), kept with one timer instead of one per wait: because each deadline is "now + the
 * same timeout", they are added in deadline order, and only the oldest needs a timer. Settled
 * waits are dropped from the front as they finish, so the queue holds roughly what is in flight.
 */
/** One wait; pass it back to {@link DeadlineQueue.settle}. */
export interface DeadlineWait {
  readonly deadline: number;
  readonly expire: (error: Error) => void;
  settled: boolean;
}

export class DeadlineQueue {
  private entries: DeadlineWait[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  /** @param expired the error each expired wait gets */
  constructor(private readonly expired: () => Error) {}

  /**
   * Call `expire(expired())` at `deadline` (epoch ms) unless {@link settle} is called first
   * (a promise's `reject` fits, with no closure per wait). Deadlines must not decrease from one
   * call to the next (true for "now + a fixed timeout").
   */
  add(deadline: number, expire: (error: Error) => void): DeadlineWait {
    const wait: DeadlineWait = { deadline, expire, settled: false };
    this.entries.push(wait);
    if (!this.timer) this.schedule();
    return wait;
  }

  /** The wait ended in time (or it expired already: then nothing happens). */
  settle(wait: DeadlineWait): void {
    wait.settled = true;
    this.dropSettled();
  }

  /** Waits not yet settled or expired. */
  get size(): number {
    let open = 0;
    for (let i = this.head; i < this.entries.length; i++) if (!this.entries[i]!.settled) open++;
    return open;
  }

  private dropSettled(): void {
    while (this.head < this.entries.length && this.entries[this.head]!.settled) this.head++;
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
    } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  private schedule(): void {
    const first = this.entries[this.head];
    if (!first) return;
    this.timer = setTimeout(() => this.expireDue(), Math.max(0, first.deadline - Date.now()));
    // Waiting for confirms must not keep a process alive on its own; the waits themselves do.
    this.timer.unref();
  }

  private expireDue(): void {
    this.timer = undefined;
    const now = Date.now();
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head]!;
      if (!entry.settled && entry.deadline > now) break;
      this.head++;
      if (!entry.settled) {
        entry.settled = true;
        entry.expire(this.expired());
      }
    }
    this.dropSettled();
    if (this.head < this.entries.length && !this.timer) this.schedule();
  }
}
