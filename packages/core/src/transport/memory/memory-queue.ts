import type { MessageProperties } from 'amqplib';

/** One message as a queue holds it (each queue a message is routed to holds its own copy). */
export interface StoredMessage {
  /** Arrival order in the broker; a requeued message keeps it and so goes back to its place. */
  readonly seq: number;
  readonly content: Buffer;
  /** Replaced (never changed in place) when a quorum queue counts a redelivery in its headers. */
  properties: MessageProperties;
  readonly exchange: string;
  readonly routingKey: string;
  redelivered: boolean;
  /** Priority in this queue: the message's, capped at the queue's `x-max-priority`; 0 without one. */
  readonly priority: number;
  /** When the message expires (per-queue or per-message TTL); undefined = never. */
  readonly expiresAt: number | undefined;
}

/** The declared properties of a queue, as RabbitMQ compares them on a re-declare. */
export interface QueueSettings {
  durable: boolean;
  autoDelete: boolean;
  exclusive: boolean;
  arguments: Record<string, unknown>;
}

/** Something that takes messages from a queue: a consumer of a channel. */
export interface QueueConsumer {
  readonly tag: string;
  /** Whether it can take one more message now (prefetch windows). */
  hasRoom(): boolean;
  deliver(queue: MemoryQueue, message: StoredMessage): void;
  /** The broker removed the consumer (its queue was deleted). */
  cancelledByBroker(): void;
}

/**
 * A queue's ready messages in RabbitMQ's order: highest priority first, then arrival order.
 * One array per priority level, each kept sorted by `seq`; a new message goes at the end of its
 * level, and a requeued one back at its old position (binary search).
 */
export class MemoryQueue {
  readonly maxPriority: number;
  readonly messageTtl: number | undefined;
  readonly deadLetterExchange: string | undefined;
  readonly deadLetterRoutingKey: string | undefined;
  readonly expiresMs: number | undefined;
  readonly maxLength: number | undefined;
  /** `x-queue-type: quorum`: redeliveries are counted in `x-delivery-count`. */
  readonly quorum: boolean;
  /** A quorum queue's `x-delivery-limit`: past it a returned message is dead-lettered. */
  readonly deliveryLimit: number | undefined;
  readonly consumers: QueueConsumer[] = [];
  /** Deliveries of this queue not yet acked (kept by the channels; counted here for `idle`). */
  unacked = 0;
  /** Had a consumer once (auto-delete queues go when the last one leaves, not before the first). */
  hadConsumer = false;
  /** Timer of the next TTL expiry, or of `x-expires`. */
  expiryTimer: NodeJS.Timeout | undefined;
  expiryDue = Number.POSITIVE_INFINITY;
  unusedTimer: NodeJS.Timeout | undefined;
  private readonly levels: StoredMessage[][];
  private size = 0;
  private nextConsumer = 0;

  constructor(
    readonly name: string,
    readonly settings: QueueSettings,
    /** The connection that owns an exclusive queue. */
    readonly owner: object | undefined,
  ) {
    const args = settings.arguments;
    this.maxPriority = clampPriority(numberArg(args['x-max-priority']) ?? 0);
    this.messageTtl = numberArg(args['x-message-ttl']);
    this.deadLetterExchange = typeof args['x-dead-letter-exchange'] === 'string' ? args['x-dead-letter-exchange'] : undefined;
    this.deadLetterRoutingKey = typeof args['x-dead-letter-routing-key'] === 'string' ? args['x-dead-letter-routing-key'] : undefined;
    this.expiresMs = numberArg(args['x-expires']);
    this.maxLength = numberArg(args['x-max-length']);
    this.quorum = args['x-queue-type'] === 'quorum';
    this.deliveryLimit = this.quorum ? numberArg(args['x-delivery-limit']) : undefined;
    this.levels = Array.from({ length: this.maxPriority + 1 }, () => []);
  }

  /** Ready messages (not those delivered and unacked). */
  get messageCount(): number {
    return this.size;
  }

  /** The priority a message published with `priority` gets in this queue. */
  priorityOf(priority: unknown): number {
    if (this.maxPriority === 0 || typeof priority !== 'number' || !(priority > 0)) return 0;
    return Math.min(Math.floor(priority), this.maxPriority);
  }

  /** A newly routed message: last of its priority level. */
  push(message: StoredMessage): void {
    this.levels[message.priority]!.push(message);
    this.size++;
  }

  /** A message back from a consumer (nack/reject with requeue, or its channel closed): back in its place. */
  requeue(message: StoredMessage): void {
    const level = this.levels[message.priority]!;
    let low = 0;
    let high = level.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (level[mid]!.seq < message.seq) low = mid + 1;
      else high = mid;
    }
    level.splice(low, 0, message);
    this.size++;
  }

  /** Take the next message in order (highest priority, oldest first). */
  shift(): StoredMessage | undefined {
    for (let p = this.maxPriority; p >= 0; p--) {
      const level = this.levels[p]!;
      if (level.length > 0) {
        this.size--;
        return level.shift();
      }
    }
    return undefined;
  }

  /** Remove and return the messages whose TTL ran out by `now`, in queue order. */
  takeExpired(now: number): StoredMessage[] {
    const expired: StoredMessage[] = [];
    for (let p = this.maxPriority; p >= 0; p--) {
      const level = this.levels[p]!;
      if (!level.some((m) => m.expiresAt !== undefined && m.expiresAt <= now)) continue;
      const kept: StoredMessage[] = [];
      for (const message of level) (message.expiresAt !== undefined && message.expiresAt <= now ? expired : kept).push(message);
      this.levels[p] = kept;
    }
    this.size -= expired.length;
    return expired;
  }

  /** The earliest expiry among ready messages; Infinity when none expires. */
  nextExpiry(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const level of this.levels) for (const m of level) if (m.expiresAt !== undefined && m.expiresAt < next) next = m.expiresAt;
    return next;
  }

  /** Remove every ready message; returns how many there were. */
  purge(): number {
    const count = this.size;
    for (let p = 0; p < this.levels.length; p++) this.levels[p] = [];
    this.size = 0;
    return count;
  }

  /** The next consumer with room, round-robin as RabbitMQ hands out deliveries. */
  consumerWithRoom(): QueueConsumer | undefined {
    const count = this.consumers.length;
    for (let i = 0; i < count; i++) {
      const index = (this.nextConsumer + i) % count;
      const consumer = this.consumers[index]!;
      if (consumer.hasRoom()) {
        this.nextConsumer = (index + 1) % count;
        return consumer;
      }
    }
    return undefined;
  }
}

function numberArg(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** RabbitMQ allows priorities 1–255 (it advises at most 10). */
function clampPriority(value: number): number {
  return Math.max(0, Math.min(255, Math.floor(value)));
}
