import type { BrokerError } from './errors';

/** One send waiting for its queue's declaration. */
interface WaitingSend {
  readonly deadline: number;
  readonly go: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** The sends waiting for one declaration, and the timer bounding the wait. */
interface Group {
  readonly sends: WaitingSend[];
  timer: NodeJS.Timeout | undefined;
  settled: boolean;
}

/**
 * Sends to a queue whose declaration is still running wait here, in one list per queue, and go
 * out in order once it is done. A script that fires 10,000 sends at a new queue pays a list entry
 * per send — not an async frame, a promise chain and a timer entry each — which is most of what
 * the first sends to a fresh queue used to cost over a declared one.
 *
 * Each send still waits at most until its own deadline: the group's timer fires at the earliest
 * deadline in it; sends with time left then wait on in a new group, the others reject with
 * `BROKER_UNAVAILABLE` (nothing was sent). A declaration that fails rejects every send waiting on
 * it with its error.
 */
export class DeclarationWaits {
  private readonly groups = new Map<string, Group>();

  constructor(
    /** The message a send gets when the broker could not be reached before its deadline. */
    private readonly unavailable: () => BrokerError,
  ) {}

  /**
   * Run `go` once `declare()` resolved, or reject at `deadline`. `declare` is called for the first
   * send of a group only (it must return the shared, cached declaration).
   */
  after<T>(key: string, declare: () => Promise<void>, deadline: number, go: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const send: WaitingSend = { deadline, go, resolve: resolve as (value: unknown) => void, reject };
      const group = this.groups.get(key);
      if (group) group.sends.push(send);
      else this.start(key, declare, [send]);
    });
  }

  private start(key: string, declare: () => Promise<void>, sends: WaitingSend[]): void {
    const group: Group = { sends, timer: undefined, settled: false };
    this.groups.set(key, group);
    let earliest = Number.POSITIVE_INFINITY;
    for (const send of sends) earliest = Math.min(earliest, send.deadline);
    group.timer = setTimeout(() => this.expire(key, declare, group), Math.max(0, earliest - Date.now()));
    declare().then(
      () => {
        for (const send of this.finish(key, group)) send.resolve(send.go());
      },
      (err: unknown) => {
        for (const send of this.finish(key, group)) send.reject(err as Error);
      },
    );
  }

  /** The earliest deadline passed: reject the sends out of time, start again with the rest. */
  private expire(key: string, declare: () => Promise<void>, group: Group): void {
    const sends = this.finish(key, group);
    const now = Date.now();
    const rest: WaitingSend[] = [];
    for (const send of sends) {
      if (send.deadline <= now) send.reject(this.unavailable());
      else rest.push(send);
    }
    if (rest.length > 0) this.start(key, declare, rest);
  }

  /** End `group` (once): stop its timer, forget it, hand back its sends. */
  private finish(key: string, group: Group): WaitingSend[] {
    if (group.settled) return [];
    group.settled = true;
    clearTimeout(group.timer);
    if (this.groups.get(key) === group) this.groups.delete(key);
    return group.sends;
  }
}
