import type { ConfirmChannel, Message, Options } from 'amqplib';
import type { ChannelSource } from './channel-source';
import { BrokerError, PublishRejectedError, UnroutableError } from '../errors';
import { beforeDeadline } from './deadline';
import { DeadlineQueue } from './deadline-queue';

/** Retry a publish whose channel closed before its confirm, until this long after the send began. */
export const DEFAULT_SEND_TIMEOUT_MS = 30_000;

/**
 * Publishes on one long-lived confirm channel and resolves each publish when the broker has
 * confirmed it (for a persistent message on a durable queue: written to disk). Many publishes are
 * in flight at once — confirms are a stream, never publish-then-wait. When the socket buffer is
 * full (`publish()` returns false) later publishes wait for 'drain', so memory stays bounded.
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
  private drained: Promise<void> | undefined;
  /** Correlation ids of messages the broker returned as unroutable, until their confirm arrives. */
  private readonly returned = new Set<string>();
  /** Why a channel closed (its 'error' event comes before the failed confirms). */
  private readonly closeReasons = new WeakMap<ConfirmChannel, Error>();

  constructor(
    private readonly connection: () => Promise<ChannelSource>,
    private readonly sendTimeoutMs = DEFAULT_SEND_TIMEOUT_MS,
  ) {}

  /**
   * Publish and resolve on the broker's confirm. Rejects with {@link UnroutableError} when no queue
   * received the message (`mandatory`), {@link PublishRejectedError} on a nack, `BROKER_UNAVAILABLE`
   * when the broker could not be reached in time (the message was not sent), or
   * `PUBLISH_UNCONFIRMED` when it was published but never confirmed in time (it may be stored).
   */
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    const deadline = Date.now() + this.sendTimeoutMs;
    // The common case — an open channel with room in its buffer — publishes at once, without awaits.
    if (this.ready && !this.drained) return this.publishOn(this.ready, exchange, routingKey, content, options, deadline, true);
    return this.publishWithRetries(exchange, routingKey, content, options, deadline, false, 1);
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
    if (!isChannelLoss(err) || Date.now() >= deadline) throw err;
    await new Promise((resolve) => setTimeout(resolve, Math.min(50 * attempt, 500)));
    return next();
  }

  /** The first attempt's channel died under the message: go on with the retry loop. */
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

  /**
   * Publish once and settle on the confirm. With `retryOnLoss` (the first attempt of the fast
   * path), a channel lost before the confirm resolves to a re-publish instead of rejecting; all
   * per-message state lives in this one promise, so a send allocates little while it waits.
   */
  private publishOn(
    channel: ConfirmChannel,
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish,
    deadline: number,
    retryOnLoss: boolean,
  ): Promise<void> {
    const key = options.correlationId ?? options.messageId;
    return new Promise<void>((resolve, reject) => {
      const wait = this.confirmDeadlines.add(deadline, reject);
      let hasRoom: boolean;
      try {
        hasRoom = channel.publish(exchange, routingKey, content, options, (err) => {
          this.confirmDeadlines.settle(wait);
          const wasReturned = key !== undefined && this.returned.delete(key);
          if (err) {
            const error =
              err.message === 'message nacked'
                ? new PublishRejectedError(exchange, routingKey)
                : explainChannelError(this.closeReasons.get(channel) ?? err, exchange);
            if (retryOnLoss && isChannelLoss(error) && Date.now() < deadline) {
              resolve(this.republish(error, exchange, routingKey, content, options, deadline));
            } else {
              reject(error);
            }
          } else if (wasReturned) {
            reject(new UnroutableError(exchange, routingKey));
          } else {
            resolve();
          }
        });
      } catch (err) {
        // amqplib throws synchronously when the channel is already closed.
        this.confirmDeadlines.settle(wait);
        const error = explainChannelError(err as Error, exchange);
        if (retryOnLoss && isChannelLoss(error) && Date.now() < deadline)
          resolve(this.republish(error, exchange, routingKey, content, options, deadline));
        else reject(error);
        return;
      }
      if (!hasRoom && !this.drained) {
        this.drained = new Promise<void>((done) => {
          const release = (): void => {
            channel.off('drain', release);
            channel.off('close', release);
            this.drained = undefined;
            done();
          };
          channel.on('drain', release);
          channel.on('close', release);
        });
      }
    });
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
          if (typeof key === 'string') this.returned.add(key);
        });
        // A channel error (e.g. publishing to a missing exchange) closes only this channel:
        // forget it so the next publish opens a fresh one. Pending confirms fail via their callbacks.
        channel.on('error', (reason: Error) => this.closeReasons.set(channel, reason));
        channel.on('close', () => {
          if (this.channel === opening) this.channel = undefined;
          if (this.ready === channel) this.ready = undefined;
          this.returned.clear();
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
  if (/NOT_FOUND - no exchange/.test(err.message)) {
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
