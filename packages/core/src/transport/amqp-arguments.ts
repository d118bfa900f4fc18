import type { Options } from 'amqplib';
import type { EncodedMessage } from '../protocol';
import type { QueueDeclaration } from '../routing';

/**
 * The one place where taskq's options become AMQP arguments and properties
 * (`maxPriority` → `x-max-priority`, `persistent` → delivery mode 2, …).
 */

/** Arguments for `queue.declare`. */
export function toAssertQueueOptions(queue: QueueDeclaration): Options.AssertQueue {
  const args: Record<string, unknown> = {};
  if (queue.maxPriority !== undefined) args['x-max-priority'] = queue.maxPriority;
  if (queue.messageTtl !== undefined) args['x-message-ttl'] = queue.messageTtl;
  if (queue.maxLength !== undefined) args['x-max-length'] = queue.maxLength;
  if (queue.deadLetter) {
    args['x-dead-letter-exchange'] = queue.deadLetter.exchange;
    if (queue.deadLetter.routingKey !== undefined) args['x-dead-letter-routing-key'] = queue.deadLetter.routingKey;
  }
  return { durable: queue.durable, autoDelete: queue.autoDelete, arguments: args };
}

/** Properties for `basic.publish` of an encoded task or result message. */
export function toPublishOptions(message: EncodedMessage): Options.Publish {
  const options: Options.Publish = {
    contentType: message.contentType,
    contentEncoding: message.contentEncoding,
    correlationId: message.correlationId,
    headers: message.headers,
    deliveryMode: message.persistent ? 2 : 1,
    // Unroutable messages come back (basic.return) instead of vanishing.
    mandatory: true,
  };
  if (message.replyTo !== undefined) options.replyTo = message.replyTo;
  if (message.priority !== undefined) options.priority = message.priority;
  return options;
}

/** Arguments for a client's private rpc reply queue (Celery's rpc backend shape). */
export function replyQueueOptions(expiresMs: number): Options.AssertQueue {
  return { durable: false, autoDelete: true, exclusive: false, arguments: { 'x-expires': expiresMs } };
}
