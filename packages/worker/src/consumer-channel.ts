import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '@taskq/core';
import type { ChannelSource, ResultStore } from '@taskq/core/internal';
import { ChannelSettler } from './channel-settler';
import { ResultReporter, type ResultOutage } from './result-reporter';

/** What a consuming channel needs from its worker. */
export interface ConsumerChannelSettings {
  queues: readonly string[];
  /** Unacked deliveries allowed, per consumer, or for the whole channel with `channelWide`. */
  prefetch: number;
  /**
   * One prefetch window for the channel's consumers together (AMQP's global QoS). Only for classic
   * queues: RabbitMQ closes the whole connection (540 NOT_IMPLEMENTED) when a quorum queue is
   * consumed on a channel with a channel-wide prefetch.
   */
  channelWide: boolean;
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
  /** What {@link consume} started, so {@link resume} can start it again after {@link pause}. */
  private consuming:
    | { queues: readonly string[]; onDelivery: (queue: string, message: ConsumeMessage, settler: ChannelSettler) => void }
    | undefined;

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
      // Channel-wide when several classic queues share the channel, so the total number of unacked
      // deliveries — not the number per queue — is the prefetch.
      await channel.prefetch(settings.prefetch, settings.channelWide);
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
    this.consuming = { queues, onDelivery };
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
    this.consuming = undefined;
    for (const tag of this.consumerTags.splice(0)) await this.channel.cancel(tag).catch(() => undefined);
  }

  /**
   * Stop deliveries for a while (a redelivered task runs alone): the consumers are cancelled, and
   * once this resolves every delivery sent before the cancel has arrived (a channel's frames come
   * in order). Cancelling rather than lowering the prefetch works on every queue type: a new
   * per-consumer prefetch would not apply to running consumers, and a channel-wide one is refused
   * by quorum queues.
   */
  async pause(): Promise<void> {
    for (const tag of this.consumerTags.splice(0)) await this.channel.cancel(tag);
  }

  /** Start the consumers {@link pause} cancelled again (not after {@link cancel}, nor once closed). */
  async resume(): Promise<void> {
    if (this.closed || !this.consuming || this.consumerTags.length > 0) return;
    const { queues, onDelivery } = this.consuming;
    await this.consume(queues, onDelivery);
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
