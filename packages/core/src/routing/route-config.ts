/**
 * The validated shape of taskq's routing configuration: which queues exist, how they are declared
 * and bound, and which tasks go where. Produced by `loadRoutingConfig` / `validateRoutingConfig`,
 * consumed by `Router` and by whatever declares the topology on the broker.
 */

/** The AMQP exchange types taskq can declare. */
export type ExchangeType = 'direct' | 'topic' | 'fanout' | 'headers';

/** All exchange types, in the order error messages list them. */
export const EXCHANGE_TYPES: readonly ExchangeType[] = ['direct', 'topic', 'fanout', 'headers'];

/**
 * How RabbitMQ stores a queue: `classic` lives on one node; `quorum` is replicated (Raft) across the
 * cluster's nodes and survives losing a minority of them, but has no message priority before
 * RabbitMQ 4 (taskq offers priority bands instead, see {@link QueueRoute.bands}).
 */
export type QueueType = 'classic' | 'quorum';

/** All queue types, in the order error messages list them. */
export const QUEUE_TYPES: readonly QueueType[] = ['classic', 'quorum'];

/**
 * `x-delivery-limit` of quorum queues that set none. RabbitMQ 4 picks 20 too: high enough that
 * redeliveries after worker crashes and requeues on shutdown never reach it in normal operation,
 * low enough that a message that kills every worker that takes it (a poison message) is
 * dead-lettered within minutes instead of being redelivered forever.
 */
export const DEFAULT_DELIVERY_LIMIT = 20;

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
   * The queue's `x-max-priority`; `undefined` declares the queue without priorities. On a quorum
   * queue (which has no priorities before RabbitMQ 4) it is never sent to the broker: it is the
   * top of the queue's priority bands, and only set when the queue's own settings set it.
   * @defaultValue the routing defaults' `maxPriority` (`10`) for a classic queue, `undefined` for a quorum queue
   */
  maxPriority: number | undefined;
  /**
   * `x-queue-type`; absent means `classic` (declarations built before queue types existed).
   * @defaultValue the routing defaults' `queueType` (`classic`)
   */
  queueType?: QueueType;
  /**
   * Quorum queues only: `x-delivery-limit`, how many times a message may be returned to the queue
   * before it is dead-lettered; `undefined` means unlimited.
   * @defaultValue the routing defaults' `deliveryLimit` ({@link DEFAULT_DELIVERY_LIMIT}) on a quorum queue
   */
  deliveryLimit?: number;
  /**
   * Quorum queues only: `x-quorum-initial-group-size`, on how many nodes the queue starts.
   * @defaultValue the broker's (every node of the cluster)
   */
  initialGroupSize?: number;
  /** `x-message-ttl` in milliseconds; unset means messages do not expire. */
  messageTtl?: number;
  /** `x-max-length`; unset means unbounded. */
  maxLength?: number;
  /**
   * Where rejected or expired messages go (`x-dead-letter-exchange` / `-routing-key`). A quorum queue
   * without it dead-letters to the app's dead-letter queue (`deadLetterQueue`, `taskq.dead`); `false`
   * means nowhere, not even there (taskq's own bookkeeping queues, such as beat's state).
   */
  deadLetter?: { exchange: string; routingKey?: string } | false;
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

/**
 * One priority band of a quorum queue: the messages with a priority from `min` to `max` go to
 * `queue`. The lowest band's queue is the configured queue itself; the others are named
 * `<queue>.p<min>-<max>` and reached through the default exchange.
 */
export interface PriorityBand {
  min: number;
  max: number;
  queue: QueueDeclaration;
}

/** One configured queue and the tasks routed to it. */
export interface QueueRoute {
  queue: QueueDeclaration;
  /**
   * A quorum queue with a `maxPriority` of its own: one queue per priority band, lowest band first
   * (covering 0 to `maxPriority`, contiguous). Absent for every other queue.
   */
  bands?: PriorityBand[];
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
   * The type of queues that do not set their own `queueType`, including queues declared in no
   * routing file (such as the default queue) and the app's dead-letter queue.
   * @defaultValue `'classic'`
   */
  queueType: QueueType;
  /**
   * `x-delivery-limit` of quorum queues that do not set their own; ignored by classic queues.
   * @defaultValue {@link DEFAULT_DELIVERY_LIMIT} (`20`)
   */
  deliveryLimit: number;
  /**
   * `x-quorum-initial-group-size` of quorum queues that do not set their own; `undefined` leaves it to
   * the broker (every node).
   * @defaultValue `undefined`
   */
  initialGroupSize: number | undefined;
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
  queueType: 'classic',
  deliveryLimit: DEFAULT_DELIVERY_LIMIT,
  initialGroupSize: undefined,
  serializer: 'json',
  priority: undefined,
  ignoreResult: false,
});
