import type { ConfirmChannel, Message, Options } from 'amqplib';
import { AMQP_REPLY, isPublishNack, replyCodeOf } from './amqp-reply';
import type { ChannelSource } from './channel-source';
import { BrokerError, PublishRejectedError, UnroutableError } from '../errors';
import { beforeDeadline } from './deadline';
import { DeadlineQueue, type DeadlineWait } from './deadline-queue';

/** Retry a publish whose channel closed before its confirm, until this long after the send began. */
export const DEFAULT_SEND_TIMEOUT_MS = 30_000;

/**
 * How often a nacked message is published again, each time on a fresh channel (after 0.1, 0.2,
 * 0.4, 0.8, 1.6 s): RabbitMQ 3.10 nacks every publish of a channel whose first publish to a quorum
 * queue raced a leader election, until that channel is replaced (1–2 replacements were enough in
 * the measurements, ../shared/reference/rabbitmq-cluster.md). A nack that persists — a full queue
 * with `x-overflow: reject-publish` — is reported after about 3 s instead of looping.
 */
export const NACK_REPUBLISHES = 5;

/** A publish waiting, in call order, for room in the open channel's write buffer. */
interface WaitingPublish {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly options: Options.Publish;
  readonly deadline: number;
  /** What the publish resolves with (see {@link ConfirmPublisher.publish}). */
  readonly value: unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly wait: DeadlineWait;
}

/**
 * Publishes on one long-lived confirm channel and resolves each publish when the broker has
 * confirmed it (for a persistent message on a durable queue: written to disk). Many publishes are
 * in flight at once — confirms are a stream, never publish-then-wait. When the channel's write
 * buffer is full (amqplib's `publish()` returns false), later publishes wait in one FIFO and go
 * out in order on 'drain', so the socket buffer stays bounded and a send that waits costs an
 * entry in a list, not a timer and a promise chain of its own.
 *
 * If the channel or connection closes before the confirm (a broker restart, a dropped
 * connection), the message is published again on a fresh channel once the connection has
 * recovered — until `sendTimeoutMs` after the send began. So a publish either resolves after a
 * real confirm or rejects; it never resolves without one. A re-publish can duplicate a message
 * the broker had stored but not yet confirmed: at-least-once, so tasks must be idempotent.
 */
export class ConfirmPublisher {
  private channel: Promise<ConfirmChannel> | undefined;
  /** The open channel, once `channel` has resolved: publishes on it need not wait for anything. */
  private ready: ConfirmChannel | undefined;
  /** One timer for all confirm waits (they all last sendTimeoutMs), not one per message. */
  private readonly confirmDeadlines = new DeadlineQueue(() => this.unavailable(true));
  /** Set while the channel's write buffer is full; resolves on its 'drain' (or 'close'). */
  private drained: Promise<void> | undefined;
  /** Publishes that came while the buffer was full, oldest first from `waitingHead`. */
  private waiting: WaitingPublish[] = [];
  private waitingHead = 0;
  /** Waits for room end at the send's deadline too, all on one timer. */
  private readonly roomDeadlines = new DeadlineQueue(() => this.unavailable(false));
  /**
   * Per channel, correlation ids of messages the broker returned as unroutable, until their confirm
   * arrives (a basic.return comes before the confirm of the same message, on the same channel).
   */
  private readonly returned = new WeakMap<ConfirmChannel, Set<string>>();
  /** Why a channel closed (its 'error' event comes before the failed confirms). */
  private readonly closeReasons = new WeakMap<ConfirmChannel, Error>();

  constructor(
    private readonly connection: () => Promise<ChannelSource>,
    private readonly sendTimeoutMs = DEFAULT_SEND_TIMEOUT_MS,
  ) {}

  /**
   * Publish and resolve on the broker's confirm. Rejects with {@link UnroutableError} when no queue
   * received the message (`mandatory`), {@link PublishRejectedError} on a nack that lasted through
   * {@link NACK_REPUBLISHES} re-publishes on fresh channels, `BROKER_UNAVAILABLE`
   * when the broker could not be reached in time (the message was not sent), or
   * `PUBLISH_UNCONFIRMED` when it was published but never confirmed in time (it may be stored).
   */
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void>;
  /**
   * The same, resolving with `value` on the confirm: a caller that wants to hand back a value (the
   * producer's result handle) needs no `then` of its own — a promise, a reaction and a closure less
   * per message held until the confirm.
   */
  publish<T>(exchange: string, routingKey: string, content: Buffer, options: Options.Publish, value: T): Promise<T>;
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish, value?: unknown): Promise<unknown> {
    const deadline = Date.now() + this.sendTimeoutMs;
    const channel = this.ready;
    if (!channel) return this.publishWithRetries(exchange, routingKey, content, options, deadline, false, 1).then(() => value);
    // The common case — an open channel — publishes at once, or queues behind a full buffer: no awaits.
    return new Promise<unknown>((resolve, reject) => {
      if (this.drained) {
        const wait = this.roomDeadlines.add(deadline, reject);
        this.waiting.push({ exchange, routingKey, content, options, deadline, value, resolve, reject, wait });
      } else {
        this.send(channel, exchange, routingKey, content, options, deadline, true, value, resolve, reject);
      }
    });
  }

  private async publishWithRetries(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
    deadline: number,
    published: boolean,
    firstAttempt: number,
  ): Promise<void> {
    for (let attempt = firstAttempt; ; attempt++) {
      try {
        const channel = await this.channelWithRoom(deadline, published);
        published = true;
        return await this.publishOn(channel, exchange, routingKey, content, options, deadline, false);
      } catch (err) {
        await this.afterFailedAttempt(err, attempt, deadline, () => Promise.resolve());
      }
    }
  }

  /**
   * A publish attempt failed: rethrow unless the channel died under the message and there is time
   * left; otherwise wait a little for the connection to recover, then go on with `next`.
   */
  private async afterFailedAttempt(err: unknown, attempt: number, deadline: number, next: () => Promise<void>): Promise<void> {
    const nacked = err instanceof PublishRejectedError;
    if (!(isChannelLoss(err) || (nacked && attempt <= NACK_REPUBLISHES)) || Date.now() >= deadline) throw err;
    await new Promise((resolve) => setTimeout(resolve, nacked ? 100 * 2 ** (attempt - 1) : Math.min(50 * attempt, 500)));
    return next();
  }

  /**
   * The broker nacked a publish on `channel`: publish nothing more on it (see {@link NACK_REPUBLISHES}),
   * and close it once the confirms it still owes have come (nacks too: each is published again).
   */
  private retire(channel: ConfirmChannel): void {
    if (this.ready !== channel) return;
    this.ready = undefined;
    this.channel = undefined;
    channel
      .waitForConfirms()
      .then(
        () => channel.close(),
        () => channel.close(),
      )
      .catch(() => undefined);
  }

  /** The first attempt's channel died under the message (or nacked it): go on with the retry loop. */
  private republish(
    error: Error,
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
    deadline: number,
  ): Promise<void> {
    return this.afterFailedAttempt(error, 1, deadline, () =>
      this.publishWithRetries(exchange, routingKey, content, options, deadline, true, 2),
    );
  }

  /** Wait (until the deadline) for an open channel whose write buffer has room. */
  private async channelWithRoom(deadline: number, published: boolean): Promise<ConfirmChannel> {
    const channel = await beforeDeadline(this.openChannel(), deadline, () => this.unavailable(published));
    while (this.drained) await beforeDeadline(this.drained, deadline, () => this.unavailable(published));
    return channel;
  }

  private unavailable(published: boolean): BrokerError {
    return published
      ? new BrokerError(
          'PUBLISH_UNCONFIRMED',
          `The broker did not confirm the message within ${this.sendTimeoutMs} ms (the connection was lost); ` +
            `it may or may not be stored. Send it again (tasks must tolerate duplicates).`,
        )
      : new BrokerError(
          'BROKER_UNAVAILABLE',
          `The broker could not be reached within ${this.sendTimeoutMs} ms; the message was not sent. ` +
            `Check that RabbitMQ is running, or raise sendTimeoutMs.`,
        );
  }

  /** Publish once on `channel` and settle on the confirm (see {@link send}). */
  private publishOn(
    channel: ConfirmChannel,
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
    deadline: number,
    retryOnLoss: boolean,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.send(
        channel,
        exchange,
        routingKey,
        content,
        options,
        deadline,
        retryOnLoss,
        undefined,
        resolve as (value: unknown) => void,
        reject,
      );
    });
  }

  /**
   * Publish once and call `resolve`/`reject` on the confirm. With `retryOnLoss` (the first attempt
   * of the fast path), a channel lost before the confirm resolves to a re-publish instead of
   * rejecting; all per-message state lives in the caller's one promise and this callback, so a
   * send allocates little while it waits.
   */
  private send(
    channel: ConfirmChannel,
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
    deadline: number,
    retryOnLoss: boolean,
    value: unknown,
    resolve: (value: unknown) => void,
    reject: (error: Error) => void,
  ): void {
    const key = options.correlationId ?? options.messageId;
    const wait = this.confirmDeadlines.add(deadline, reject);
    let hasRoom: boolean;
    try {
      hasRoom = channel.publish(exchange, routingKey, content, options, (err) => {
        this.confirmDeadlines.settle(wait);
        const wasReturned = key !== undefined && this.returned.get(channel)?.delete(key) === true;
        if (err) {
          const nacked = isPublishNack(err);
          if (nacked) this.retire(channel);
          const error = nacked
            ? new PublishRejectedError(exchange, routingKey)
            : explainChannelError(this.closeReasons.get(channel) ?? err, exchange);
          this.failed(error, exchange, routingKey, content, options, deadline, retryOnLoss, value, resolve, reject);
        } else if (wasReturned) {
          reject(new UnroutableError(exchange, routingKey));
        } else {
          resolve(value);
        }
      });
    } catch (err) {
      // amqplib throws synchronously when the channel is already closed.
      this.confirmDeadlines.settle(wait);
      this.failed(
        explainChannelError(err as Error, exchange),
        exchange,
        routingKey,
        content,
        options,
        deadline,
        retryOnLoss,
        value,
        resolve,
        reject,
      );
      return;
    }
    if (!hasRoom && !this.drained) this.waitForDrain(channel);
  }

  /** A publish attempt of {@link send} failed: re-publish when its channel was lost and time is left, else reject. */
  private failed(
    error: Error,
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
    deadline: number,
    retryOnLoss: boolean,
    value: unknown,
    resolve: (value: unknown) => void,
    reject: (error: Error) => void,
  ): void {
    if (retryOnLoss && (isChannelLoss(error) || error instanceof PublishRejectedError) && Date.now() < deadline) {
      resolve(this.republish(error, exchange, routingKey, content, options, deadline).then(() => value));
    } else {
      reject(error);
    }
  }

  /** The buffer of `channel` is full: hold later publishes until it drains (or closes). */
  private waitForDrain(channel: ConfirmChannel): void {
    this.drained = new Promise<void>((done) => {
      const release = (closed: boolean): void => {
        channel.off('drain', onDrain);
        channel.off('close', onClose);
        this.drained = undefined;
        done();
        this.publishWaiting(channel, closed);
      };
      const onDrain = (): void => release(false);
      const onClose = (): void => release(true);
      channel.on('drain', onDrain);
      channel.on('close', onClose);
    });
  }

  /**
   * Send the queued publishes in order, until the buffer is full again. After the channel
   * closed, each goes through the retry loop, which waits for a fresh channel.
   */
  private publishWaiting(channel: ConfirmChannel, closed: boolean): void {
    while (this.waitingHead < this.waiting.length && (closed || !this.drained)) {
      const next = this.waiting[this.waitingHead]!;
      this.waitingHead += 1;
      // Already rejected at its deadline while it waited.
      if (next.wait.settled) continue;
      this.roomDeadlines.settle(next.wait);
      const { exchange, routingKey, content, options, deadline, value, resolve, reject } = next;
      if (closed) resolve(this.publishWithRetries(exchange, routingKey, content, options, deadline, false, 1).then(() => value));
      else this.send(channel, exchange, routingKey, content, options, deadline, true, value, resolve, reject);
    }
    if (this.waitingHead === this.waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
    } else if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
  }

  /** Close the channel after outstanding confirms arrived. */
  async close(): Promise<void> {
    const pending = this.channel;
    this.channel = undefined;
    this.ready = undefined;
    if (!pending) return;
    const channel = await pending.catch(() => undefined);
    if (!channel) return;
    try {
      // Publishes still queued behind a full buffer go out on 'drain'; wait for them too.
      while (this.drained) await this.drained;
      await channel.waitForConfirms();
      await channel.close();
    } catch {
      // Already closed with the connection: nothing left to flush.
    }
  }

  private openChannel(): Promise<ConfirmChannel> {
    if (!this.channel) {
      const opening = this.connection().then(async (connection) => {
        const channel = await connection.createConfirmChannel();
        channel.on('return', (message: Message) => {
          const key = message.properties.correlationId ?? message.properties.messageId;
          if (typeof key !== 'string') return;
          const keys = this.returned.get(channel);
          if (keys) keys.add(key);
          else this.returned.set(channel, new Set([key]));
        });
        // A channel error (e.g. publishing to a missing exchange) closes only this channel:
        // forget it so the next publish opens a fresh one. Pending confirms fail via their callbacks.
        channel.on('error', (reason: Error) => this.closeReasons.set(channel, reason));
        channel.on('close', () => {
          if (this.channel === opening) this.channel = undefined;
          if (this.ready === channel) this.ready = undefined;
        });
        if (this.channel === opening) this.ready = channel;
        return channel;
      });
      opening.catch(() => {
        if (this.channel === opening) this.channel = undefined;
      });
      this.channel = opening;
    }
    return this.channel;
  }
}

/** A publish that failed because its channel or connection closed: worth sending again. */
function isChannelLoss(err: unknown): boolean {
  return err instanceof BrokerError && err.code === 'PUBLISH_UNCONFIRMED';
}

function explainChannelError(err: Error, exchange: string): Error {
  // basic.publish can only 404 on its exchange (the channel's close reason carries the code).
  if (replyCodeOf(err) === AMQP_REPLY.NOT_FOUND) {
    return new BrokerError(
      'EXCHANGE_NOT_FOUND',
      `Exchange '${exchange}' does not exist on the broker. Declare it in a routing file (exchange/exchangeType) ` +
        `or send to a queue instead.`,
      { cause: err },
    );
  }
  if (err instanceof BrokerError) return err;
  return new BrokerError(
    'PUBLISH_UNCONFIRMED',
    `The broker connection or channel closed before confirming the message (${err.message}); it may not be stored. Send it again.`,
    { cause: err },
  );
}
