import type { Options } from 'amqplib';
import type { QueueSettings } from './memory-queue';

/**
 * amqplib's `assertQueue` options as the broker receives them: the friendly names (`maxPriority`,
 * `messageTtl`, …) become `x-` arguments and win over the same key in `arguments`, as in amqplib's
 * `api_args.js`.
 */
export function toQueueSettings(options: Options.AssertQueue): QueueSettings {
  const args: Record<string, unknown> = { ...(options.arguments as Record<string, unknown> | undefined) };
  const named: Array<[string, unknown]> = [
    ['x-expires', options.expires],
    ['x-message-ttl', options.messageTtl],
    ['x-dead-letter-exchange', options.deadLetterExchange],
    ['x-dead-letter-routing-key', options.deadLetterRoutingKey],
    ['x-max-length', options.maxLength],
    ['x-max-priority', options.maxPriority],
    ['x-overflow', options.overflow],
    ['x-queue-mode', options.queueMode],
  ];
  for (const [key, value] of named) if (value !== undefined) args[key] = value;
  for (const key of Object.keys(args)) if (args[key] === undefined) delete args[key];
  return {
    durable: options.durable ?? true,
    autoDelete: options.autoDelete ?? false,
    exclusive: options.exclusive ?? false,
    arguments: args,
  };
}
