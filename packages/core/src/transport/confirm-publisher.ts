import type { ChannelModel, ConfirmChannel, Message, Options } from 'amqplib';
import { BrokerError, PublishRejectedError, UnroutableError } from '../errors';

/**
 * Publishes on one long-lived confirm channel and resolves each publish when the broker has
 * confirmed it (for a persistent message on a durable queue: written to disk). Many publishes are
 * in flight at once — confirms are a stream, never publish-then-wait. When the socket buffer is
 * full (`publish()` returns false) later publishes wait for 'drain', so memory stays bounded.
 */
export class ConfirmPublisher {
  private channel: Promise<ConfirmChannel> | undefined;
  private drained: Promise<void> | undefined;
  /** Correlation ids of messages the broker returned as unroutable, until their confirm arrives. */
  private readonly returned = new Set<string>();
  /** Why a channel closed (its 'error' event comes before the failed confirms). */
  private readonly closeReasons = new WeakMap<ConfirmChannel, Error>();

  constructor(private readonly connection: () => Promise<ChannelModel>) {}

  /**
   * Publish and resolve on the broker's confirm. Rejects with {@link UnroutableError} when no queue
   * received the message (`mandatory`), {@link PublishRejectedError} on a nack, or a
   * {@link BrokerError} when the channel closed before the confirm: then the message may or may not
   * be stored, and the caller must treat it as not sent.
   */
  async publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    const channel = await this.openChannel();
    while (this.drained) await this.drained;
    const key = options.correlationId ?? options.messageId;
    return new Promise<void>((resolve, reject) => {
      const hasRoom = channel.publish(exchange, routingKey, content, options, (err) => {
        const wasReturned = key !== undefined && this.returned.delete(key);
        if (err) {
          reject(
            err.message === 'message nacked'
              ? new PublishRejectedError(exchange, routingKey)
              : explainChannelError(this.closeReasons.get(channel) ?? err, exchange),
          );
        } else if (wasReturned) {
          reject(new UnroutableError(exchange, routingKey));
        } else {
          resolve();
        }
      });
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
          this.returned.clear();
        });
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
