import type { MessageProperties, Options } from 'amqplib';
import type { EncodedMessage } from '../protocol';
import type { QueueDeclaration, QueueType } from '../routing';

/**
 * The one place where taskq's options become AMQP arguments and properties
 * (`maxPriority` → `x-max-priority`, `persistent` → delivery mode 2, …).
 */

/**
 * Arguments for `queue.declare`. A quorum queue gets `x-queue-type: quorum`, its delivery limit and
 * initial group size, and never `x-max-priority` (RabbitMQ before 4 refuses it with 406: its
 * priorities are taskq's priority bands instead). A quorum queue dead-letters at least once — to
 * its `deadLetter` target, else to `deadLetterQueue` through the default exchange — which needs
 * `x-overflow: reject-publish` (otherwise RabbitMQ silently falls back to at-most-once): a full
 * quorum queue refuses new messages instead of dropping its oldest.
 *
 * @param deadLetterQueue - the app's dead-letter queue, for quorum queues without a `deadLetter` target
 */
export function toAssertQueueOptions(queue: QueueDeclaration, deadLetterQueue?: string): Options.AssertQueue {
  const args: Record<string, unknown> = {};
  const quorum = queue.queueType === 'quorum';
  if (quorum) args['x-queue-type'] = 'quorum';
  else if (queue.maxPriority !== undefined) args['x-max-priority'] = queue.maxPriority;
  if (queue.messageTtl !== undefined) args['x-message-ttl'] = queue.messageTtl;
  if (queue.maxLength !== undefined) args['x-max-length'] = queue.maxLength;
  const deadLetter = queue.deadLetter ?? (quorum ? defaultDeadLetter(queue.name, deadLetterQueue) : undefined);
  if (deadLetter) {
    args['x-dead-letter-exchange'] = deadLetter.exchange;
    if (deadLetter.routingKey !== undefined) args['x-dead-letter-routing-key'] = deadLetter.routingKey;
  }
  if (quorum) {
    if (queue.deliveryLimit !== undefined) args['x-delivery-limit'] = queue.deliveryLimit;
    if (queue.initialGroupSize !== undefined) args['x-quorum-initial-group-size'] = queue.initialGroupSize;
    if (deadLetter) {
      args['x-dead-letter-strategy'] = 'at-least-once';
      args['x-overflow'] = 'reject-publish';
    }
  }
  return { durable: queue.durable, autoDelete: queue.autoDelete, arguments: args };
}

/** The app's dead-letter queue through the default exchange; none for that queue itself (a loop). */
function defaultDeadLetter(queueName: string, deadLetterQueue: string | undefined): { exchange: string; routingKey: string } | undefined {
  return deadLetterQueue === undefined || deadLetterQueue === queueName ? undefined : { exchange: '', routingKey: deadLetterQueue };
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

/**
 * Arguments for a client's private rpc reply queue: removed by the broker `expiresMs` after its
 * consumer is gone (not auto-delete, so it survives a reconnect). Transient on one node, or — for
 * an app whose queues are quorum queues — a quorum queue, so results published while the client
 * moves to another cluster node are kept.
 */
export function replyQueueOptions(expiresMs: number, queueType: QueueType = 'classic'): Options.AssertQueue {
  if (queueType === 'quorum') {
    return { durable: true, autoDelete: false, exclusive: false, arguments: { 'x-expires': expiresMs, 'x-queue-type': 'quorum' } };
  }
  return { durable: false, autoDelete: false, exclusive: false, arguments: { 'x-expires': expiresMs } };
}

/**
 * Properties for re-publishing a copy of a received message (dead letters, replays): the
 * original's properties with `headers` replaced, always persistent and mandatory. `expiration`
 * is dropped (a copy kept for an operator must not vanish with the original's TTL) and so is
 * `userId` (RabbitMQ refuses a user-id that is not the publishing connection's user).
 */
export function copyPublishOptions(properties: MessageProperties, headers: Record<string, unknown>): Options.Publish {
  const options: Options.Publish = { headers, deliveryMode: 2, mandatory: true };
  if (properties.contentType !== undefined) options.contentType = properties.contentType;
  if (properties.contentEncoding !== undefined) options.contentEncoding = properties.contentEncoding;
  if (properties.correlationId !== undefined) options.correlationId = properties.correlationId;
  if (properties.replyTo !== undefined) options.replyTo = properties.replyTo;
  if (typeof properties.priority === 'number') options.priority = properties.priority;
  if (properties.messageId !== undefined) options.messageId = properties.messageId;
  if (properties.timestamp !== undefined) options.timestamp = properties.timestamp;
  if (properties.type !== undefined) options.type = properties.type;
  if (properties.appId !== undefined) options.appId = properties.appId;
  return options;
}
