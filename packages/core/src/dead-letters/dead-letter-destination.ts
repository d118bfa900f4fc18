import type { QueueDeclaration } from '../routing';

/** Where a dead letter is published. */
export interface DeadLetterDestination {
  exchange: string;
  routingKey: string;
  /** A queue to make sure exists first (the default dead-letter queue); absent for a configured target. */
  declare?: QueueDeclaration;
}

/**
 * Where a message from `source` goes when dead-lettered. The queue's routing file decides when it
 * names a `deadLetter` target (the same place RabbitMQ's own dead-lettering would use: its routing
 * key, else the message's); otherwise the default dead-letter queue, reached through the default
 * exchange and declared as `defaultQueue` says (a name alone: durable, classic, without
 * priorities; `router.deadLetterQueue(name)` gives the app's declaration, quorum when its queues
 * are). Pure.
 */
export function deadLetterDestination(
  source: QueueDeclaration,
  defaultQueue: string | QueueDeclaration,
  deliveryRoutingKey: string,
): DeadLetterDestination {
  const target = source.deadLetter;
  // A target on the default exchange without a key would route the message back to where it came from.
  if (target && !(target.exchange === '' && target.routingKey === undefined)) {
    return { exchange: target.exchange, routingKey: target.routingKey ?? deliveryRoutingKey };
  }
  const declare: QueueDeclaration =
    typeof defaultQueue === 'string'
      ? { name: defaultQueue, durable: true, autoDelete: false, maxPriority: undefined, exchange: undefined, bindingKeys: [] }
      : defaultQueue;
  return { exchange: '', routingKey: declare.name, declare };
}
