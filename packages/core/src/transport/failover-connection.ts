import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { EventEmitter } from 'node:events';
import type { ChannelSource } from './channel-source';

/** One broker node to try: its URL (with the password: never logged unmasked) and how to open it. */
export interface FailoverTarget {
  readonly url: string;
  /** Open an AMQP connection to this node (no retries: the failover connection does those). */
  readonly open: () => Promise<ChannelModel>;
}

/** How a lost connection is replaced. */
export interface FailoverSchedule {
  /** Delay before the first attempt after a loss, and between nodes within one pass of the list, ms. */
  readonly initialDelayMs: number;
  /** The longest delay between attempts, ms (the delay doubles after each full pass of the list). */
  readonly maxDelayMs: number;
  /** Attempts before giving up once connected; `Infinity` never gives up. */
  readonly maxRetries: number;
}

/**
 * A connection that outlives its broker node: when the AMQP connection drops it connects again —
 * to the NEXT node of the list, round the list, so a cluster node that died is left for another at
 * once — and channel requests made meanwhile wait for the new connection. With one URL this is a
 * plain reconnect with backoff.
 *
 * Delays: `initialDelayMs` between the nodes of one pass (a cluster answers on another node at
 * once), doubling after every full pass that found none, up to `maxDelayMs`, with ±20 % jitter so
 * a fleet of workers does not reconnect in step.
 *
 * Events, as amqplib's recovering model has them: `connect` (the new ChannelModel and the URL it
 * reached; not for the first connection), `disconnect` (the error), `error` (connection errors:
 * always listened to here, so an ECONNRESET never becomes an uncaught 'error' event), and
 * `reconnect-failed` (gave up after `maxRetries`; later channel requests reject with the error).
 */
export class FailoverConnection extends EventEmitter implements ChannelSource {
  private model: ChannelModel | undefined;
  /** The index in `targets` of the node connected to last. */
  private index: number;
  private waiters: Array<{ resolve: (model: ChannelModel) => void; reject: (error: Error) => void }> = [];
  private stopped = false;
  private failure: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;

  private constructor(
    private readonly targets: readonly FailoverTarget[],
    private readonly schedule: FailoverSchedule,
    first: { model: ChannelModel; index: number },
  ) {
    super();
    this.index = first.index;
    this.bind(first.model);
  }

  /**
   * Connect to the first node of `targets` that answers, trying each once in order. When none
   * does, rejects with `explain(errors)` — one error per node, in order — so the caller can say
   * what went wrong with each.
   */
  static async open(
    targets: readonly FailoverTarget[],
    schedule: FailoverSchedule,
    explain: (errors: unknown[]) => Promise<Error>,
  ): Promise<FailoverConnection> {
    const errors: unknown[] = [];
    for (const [index, target] of targets.entries()) {
      try {
        return new FailoverConnection(targets, schedule, { model: await target.open(), index });
      } catch (err) {
        errors.push(err);
      }
    }
    throw await explain(errors);
  }

  /** The URL of the node connected to now, or last. */
  get url(): string {
    return this.targets[this.index]!.url;
  }

  /** The live AMQP connection; undefined between a loss and the next connection. */
  get current(): ChannelModel | undefined {
    return this.model;
  }

  createChannel(): Promise<Channel> {
    return this.connected().then((model) => model.createChannel());
  }

  createConfirmChannel(): Promise<ConfirmChannel> {
    return this.connected().then((model) => model.createConfirmChannel());
  }

  /** Close the connection and stop reconnecting; waiting channel requests reject. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.rejectWaiters(new Error('Connection closed'));
    const model = this.model;
    this.model = undefined;
    await model?.close().catch(() => undefined);
  }

  private connected(): Promise<ChannelModel> {
    if (this.model) return Promise.resolve(this.model);
    if (this.stopped) return Promise.reject(this.failure ?? new Error('Connection closed'));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private bind(model: ChannelModel): void {
    this.model = model;
    // Listened to always, and passed on only to listeners: an unheard 'error' event would crash the process.
    model.on('error', (err: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    model.once('close', (err?: Error) => {
      if (this.model !== model) return;
      this.model = undefined;
      if (this.stopped) return;
      this.emit('disconnect', err instanceof Error ? err : new Error('Connection closed'));
      this.scheduleReconnect(err);
    });
  }

  private scheduleReconnect(lastError: unknown): void {
    if (this.stopped || this.timer) return;
    if (this.attempt >= this.schedule.maxRetries) {
      this.giveUp(lastError instanceof Error ? lastError : new Error(String(lastError ?? 'Connection lost')));
      return;
    }
    this.attempt += 1;
    const pass = Math.floor((this.attempt - 1) / this.targets.length);
    const base = Math.min(this.schedule.maxDelayMs / 1.2, this.schedule.initialDelayMs * 2 ** pass);
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reconnect();
    }, delay);
  }

  private async reconnect(): Promise<void> {
    const index = (this.index + 1) % this.targets.length;
    let model: ChannelModel;
    try {
      model = await this.targets[index]!.open();
    } catch (err) {
      this.index = index; // the next attempt goes on round the list
      this.scheduleReconnect(err);
      return;
    }
    if (this.stopped) {
      await model.close().catch(() => undefined);
      return;
    }
    this.index = index;
    this.attempt = 0;
    this.bind(model);
    const waiters = this.waiters.splice(0);
    for (const waiter of waiters) waiter.resolve(model);
    this.emit('connect', model, this.url);
  }

  private giveUp(error: Error): void {
    this.stopped = true;
    this.failure = error;
    this.rejectWaiters(error);
    this.emit('reconnect-failed', error);
  }

  private rejectWaiters(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
