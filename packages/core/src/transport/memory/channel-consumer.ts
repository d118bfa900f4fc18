import type { ConsumeMessage } from 'amqplib';
import type { MemoryQueue, QueueConsumer, StoredMessage } from './memory-queue';

/** What amqplib calls for each delivery; `null` when the broker cancelled the consumer. */
export type ConsumeCallback = (message: ConsumeMessage | null) => void;

/** The channel a consumer belongs to: it owns the deliveries and the channel-wide window. */
export interface ConsumerHost {
  /** Whether the channel-wide (global) prefetch window has room. */
  hasRoom(): boolean;
  deliver(consumer: ChannelConsumer, queue: MemoryQueue, message: StoredMessage): void;
  consumerCancelled(consumer: ChannelConsumer): void;
}

/**
 * One `basic.consume` of a channel, with its own prefetch window: the per-consumer `basic.qos` in
 * force when it was created (RabbitMQ applies a later one only to later consumers).
 */
export class ChannelConsumer implements QueueConsumer {
  /** Its deliveries not yet settled. */
  unacked = 0;

  constructor(
    readonly tag: string,
    readonly queue: MemoryQueue,
    readonly noAck: boolean,
    private readonly prefetch: number,
    readonly callback: ConsumeCallback,
    private readonly host: ConsumerHost,
  ) {}

  hasRoom(): boolean {
    if (this.noAck) return true;
    return (this.prefetch === 0 || this.unacked < this.prefetch) && this.host.hasRoom();
  }

  deliver(queue: MemoryQueue, message: StoredMessage): void {
    this.host.deliver(this, queue, message);
  }

  cancelledByBroker(): void {
    this.host.consumerCancelled(this);
  }
}
