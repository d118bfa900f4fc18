/**
 * The validated shape of taskq's routing configuration: which queues exist, how they are declared
 * and bound, and which tasks go where. Produced by `loadRoutingConfig` / `validateRoutingConfig`,
 * consumed by `Router` and by whatever declares the topology on the broker.
 */

/** The AMQP exchange types taskq can declare. */
export type ExchangeType = 'direct' | 'topic' | 'fanout' | 'headers';

/** All exchange types, in the order error messages list them. */
export const EXCHANGE_TYPES: readonly ExchangeType[] = ['direct', 'topic', 'fanout', 'headers'];

/** An exchange to declare before binding queues to it or publishing through it. */
export interface ExchangeDeclaration {
  /** The exchange name; never `''` (the default exchange is never declared). */
  name: string;
  /** @defaultValue the `exchangeType` of the routing defaults (`direct`) */
  type: ExchangeType;
  /**
   * Whether the exchange survives a broker restart. Taken from the app-wide `durable` default, not
   * from the queue, so queues that share an exchange never redeclare it differently.
   * @defaultValue `true`
   */
  durable: boolean;
}

/** A queue to declare (and bind) on the broker. */
export interface QueueDeclaration {
  /** The queue name. */
  name: string;
  /** @defaultValue the routing defaults' `durable` (`true`) */
  durable: boolean;
  /** @defaultValue `false` */
  autoDelete: boolean;
  /**
   * The queue's `x-max-priority`; `undefined` declares the queue without priorities.
   * @defaultValue the routing defaults' `maxPriority` (`10`)
   */
  maxPriority: number | undefined;
  /** `x-message-ttl` in milliseconds; unset means messages do not expire. */
  messageTtl?: number;
  /** `x-max-length`; unset means unbounded. */
  maxLength?: number;
  /** Where rejected or expired messages go (`x-dead-letter-exchange` / `-routing-key`). */
  deadLetter?: { exchange: string; routingKey?: string };
  /**
   * The exchange the queue is bound to; `undefined` means only the default exchange `''`, which
   * reaches every queue by its own name.
   * @defaultValue `undefined`
   */
  exchange: ExchangeDeclaration | undefined;
  /**
   * Binding keys from `exchange` to this queue; empty when `exchange` is `undefined`.
   * @defaultValue `[name]` when an exchange is set
   */
  bindingKeys: string[];
}

/** One configured queue and the tasks routed to it. */
export interface QueueRoute {
  queue: QueueDeclaration;
  /**
   * The routing key used when publishing to this queue.
   * @defaultValue the first binding key without wildcards, or the queue name on the default exchange
   */
  routingKey: string;
  /** Task names and fnmatch-style globs routed to this queue, in file order. */
  tasks: string[];
  /** The file (or label) the queue was configured in, for error messages and route reasons. */
  source: string;
}

/** App-wide routing and publishing defaults (the `_defaults` file or `defaults:` section). */
export interface RoutingDefaults {
  /**
   * The queue for tasks that no routing rule matches. Celery's default, so Celery and taskq agree
   * out of the box.
   * @defaultValue `'celery'`
   */
  defaultQueue: string;
  /** @defaultValue `'direct'` */
  exchangeType: ExchangeType;
  /**
   * `x-max-priority` for queues that do not set their own; `undefined` means no priorities.
   * @defaultValue `10`
   */
  maxPriority: number | undefined;
  /** @defaultValue `true` */
  durable: boolean;
  /**
   * Name of the serializer for task arguments; checked against the serializer registry later.
   * @defaultValue `'json'`
   */
  serializer: string;
  /**
   * Message priority for sends that do not set one; `undefined` sends without a priority.
   * @defaultValue `undefined`
   */
  priority: number | undefined;
  /** @defaultValue `false` */
  ignoreResult: boolean;
}

/** A complete, validated routing configuration. */
export interface RoutingConfig {
  defaults: RoutingDefaults;
  /** Configured queues in source order (file order, then order within a file). */
  queues: QueueRoute[];
  /** The files the configuration was read from, in the order they were applied. */
  sources: string[];
}

/** The built-in defaults, used for every key that no defaults file or option sets. */
export const DEFAULT_ROUTING_DEFAULTS: Readonly<RoutingDefaults> = Object.freeze({
  defaultQueue: 'celery',
  exchangeType: 'direct',
  maxPriority: 10,
  durable: true,
  serializer: 'json',
  priority: undefined,
  ignoreResult: false,
});
