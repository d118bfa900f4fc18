import type { MessageProperties, Options } from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { QueueDeclaration } from '../routing';
import { copyPublishOptions } from '../transport/amqp-arguments';
import { deadLetterDestination, type DeadLetterDestination } from './dead-letter-destination';
import { deadLetterHeaders, type DeadLetterNote } from './dead-letter-headers';

/** A delivered message, as much of it as dead-lettering needs (amqplib's Message fits). */
export interface DeliveredMessage {
  content: Buffer;
  fields: { routingKey: string };
  properties: MessageProperties;
}

/** What the publisher needs from the app: a confirmed publish and a passive-first queue declaration. */
export interface DeadLetterTransport {
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void>;
  ensureQueue(queue: QueueDeclaration): Promise<void>;
}

/**
 * Puts a copy of a message — same body and properties, plus the `x-taskq-*` note saying why — in
 * its dead-letter destination, and resolves once the broker confirmed it (persistent, mandatory:
 * an unroutable dead letter is an error, never a silent drop). The caller acks the original only
 * after that; if this rejects, the caller falls back to basic.reject without requeue.
 */
export class DeadLetterPublisher {
  constructor(
    private readonly transport: DeadLetterTransport,
    /** The default dead-letter queue (`deadLetterQueue` app option): its name, or its declaration. */
    readonly defaultQueue: string | QueueDeclaration,
  ) {}

  /** Where a message consumed from `source` would go. */
  destination(source: QueueDeclaration, message: DeliveredMessage): DeadLetterDestination {
    return deadLetterDestination(source, this.defaultQueue, message.fields.routingKey);
  }

  async publish(
    source: QueueDeclaration,
    message: DeliveredMessage,
    note: Omit<DeadLetterNote, 'originalQueue'>,
  ): Promise<DeadLetterDestination> {
    const destination = this.destination(source, message);
    if (destination.declare) await this.transport.ensureQueue(destination.declare);
    const headers = deadLetterHeaders(message.properties.headers, { ...note, originalQueue: source.name });
    const options = copyPublishOptions(message.properties, headers);
    // The confirm publisher recognises a returned (unroutable) message by its correlation or message id.
    if (options.correlationId === undefined && options.messageId === undefined) options.messageId = randomUUID();
    await this.transport.publish(destination.exchange, destination.routingKey, message.content, options);
    return destination;
  }
}
