import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '@taskq/core';
import type { ChannelSource, ResultStore } from '@taskq/core/internal';
import { ChannelSettler } from './channel-settler';
import { ResultReporter, type ResultOutage } from './result-reporter';

/** What a consuming channel needs from its worker. */
export interface ConsumerChannelSettings {
  queues: readonly string[];
  /** Unacked deliveries allowed; channel-wide when several queues share the channel. */
  prefetch: number;
  /** The result store for tasks consumed on `channel`: a new one (rpc: replies go on this channel) or the worker's shared one. */
  resultStore: (channel: Channel) => { store: ResultStore; owned: boolean };
  reporter: { outage: ResultOutage; timeoutMs: number };
  logger: Logger;
  /** The channel closed (by the broker, the connection, or {@link ConsumerChannel.close}). */
  onClosed: (consumer: ConsumerChannel) => void;
}

/**
 * One generation of a worker's consuming channel and everything tied to it: the channel, the
 * settler that acks its delivery tags, the result store and reporter for its tasks, and its
 * consumer tags. Created together by {@link ConsumerChannel.open}, gone together: when the channel
 * closes the settler stops (the broker requeued everything unacked) and a store this generation
 * owns is closed. After a reconnect the worker opens a new generation; nothing is reset in place.
 */
export class ConsumerChannel {
  private readonly consumerTags: string[] = [];
  private closed = false;

  private constructor(
    readonly channel: Channel,
    readonly settler: ChannelSettler,
    readonly resultStore: ResultStore,
    private readonly ownsStore: boolean,
    readonly reporter: ResultReporter,
  ) {}

  /**
   * Open a channel on `connection` with its prefetch, store and reporter; {@link consume} then starts
   * the deliveries (in two steps, so the worker holds the generation before its first delivery).
   */
  static async open(connection: ChannelSource, settings: ConsumerChannelSettings): Promise<ConsumerChannel> {
    const channel = await connection.createChannel();
    const { store, owned } = settings.resultStore(channel);
    const consumer = new ConsumerChannel(channel, new ChannelSettler(channel), store, owned, new ResultReporter(store, settings.reporter));
    channel.on('error', (err: Error) => settings.logger.error(`Worker channel closed by the broker: ${err.message}`));
    channel.on('close', () => {
      consumer.dispose();
      settings.onClosed(consumer);
    });
    try {
      // One prefetch window for the whole channel when several queues share it, so the total number
      // of unacked deliveries — not the number per queue — is the prefetch.
      await channel.prefetch(settings.prefetch, settings.queues.length > 1);
    } catch (err) {
      await channel.close().catch(() => undefined);
      throw err;
    }
    return consumer;
  }

  /** Start consuming `queues`; each delivery goes to `onDelivery` with this generation's settler. */
  async consume(
    queues: readonly string[],
    onDelivery: (queue: string, message: ConsumeMessage, settler: ChannelSettler) => void,
  ): Promise<void> {
    for (const queue of queues) {
      const { consumerTag } = await this.channel.consume(queue, (message) => message && onDelivery(queue, message, this.settler), {
        noAck: false,
      });
      this.consumerTags.push(consumerTag);
    }
  }

  /** False once the channel closed, for whatever reason. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** Stop the broker from delivering more (deliveries in hand stay, to be settled). */
  async cancel(): Promise<void> {
    for (const tag of this.consumerTags.splice(0)) await this.channel.cancel(tag).catch(() => undefined);
  }

  /** Send the acks of finished tasks, close the channel (the broker requeues the rest) and what it owned. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.settler.flush();
    await this.channel.close().catch(() => undefined);
    this.dispose();
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.settler.close();
    if (this.ownsStore) void this.resultStore.close().catch(() => undefined);
  }
}
