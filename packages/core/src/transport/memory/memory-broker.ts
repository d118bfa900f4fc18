import type { MessageProperties } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { noExchange, noQueue } from './amqp-errors';
import { bindingMatches, type MemoryExchangeType } from './binding-match';
import { MemoryQueue, type QueueConsumer, type QueueSettings, type StoredMessage } from './memory-queue';
import { type DeathReason, effectiveTtl, withDeath } from './message-death';

/** A broker method refused, with the AMQP reply code and RabbitMQ's reply text; the channel closes. */
export class BrokerRefusal extends Error {
  constructor(
    readonly code: number,
    readonly replyText: string,
  ) {
    super(replyText);
  }
}

interface Binding {
  destination: string;
  toExchange: boolean;
  key: string;
  args: Record<string, unknown> | undefined;
}

interface MemoryExchange {
  name: string;
  type: MemoryExchangeType;
  durable: boolean;
  bindings: Binding[];
}

/** A channel as the broker sees it: work it has in hand, which {@link MemoryBroker.busy} waits for. */
export interface BrokerSession {
  /** Publishes whose confirm (or return) has not been handed to the client yet. */
  readonly pendingConfirms: number;
  /** Forget deliveries not yet acked ({@link MemoryBroker.reset}); later acks of them are no-ops. */
  forgetDeliveries(): void;
}

/** The exchanges every RabbitMQ vhost has. */
const PREDECLARED: Array<[string, MemoryExchangeType]> = [
  ['amq.direct', 'direct'],
  ['amq.fanout', 'fanout'],
  ['amq.topic', 'topic'],
  ['amq.headers', 'headers'],
  ['amq.match', 'headers'],
];

/** Queue arguments RabbitMQ compares when a queue is declared again. */
const EQUIVALENCE_ARGS = [
  'x-max-priority',
  'x-message-ttl',
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-expires',
  'x-max-length',
  'x-queue-type',
];

/**
 * An AMQP 0-9-1 broker inside the process: exchanges, bindings, queues and their messages, with
 * RabbitMQ's routing, priorities, TTLs, dead-lettering and queue lifetimes. Channels
 * (`memory-channel.ts`) talk to it the way amqplib's talk to RabbitMQ, so taskq runs unchanged
 * against it. Deliveries go out on `setImmediate`, like frames read from a socket, never inside
 * the call that published them; TTL timers are unref'd, so the broker never keeps a process alive.
 */
export class MemoryBroker {
  private readonly exchanges = new Map<string, MemoryExchange>();
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly sessions = new Set<BrokerSession>();
  private readonly dirty = new Set<MemoryQueue>();
  private dispatching: NodeJS.Immediate | undefined;
  private seq = 0;

  constructor(readonly name: string) {
    this.declareDefaults();
  }

  // ---- exchanges -------------------------------------------------------------------------

  declareExchange(name: string, type: MemoryExchangeType, durable: boolean): void {
    if (name === '') throw new BrokerRefusal(403, 'ACCESS_REFUSED - operation not permitted on the default exchange');
    const existing = this.exchanges.get(name);
    if (existing) {
      if (existing.type !== type) throw inequivalent('type', 'exchange', name, type, existing.type);
      if (existing.durable !== durable) throw inequivalent('durable', 'exchange', name, durable, existing.durable);
      return;
    }
    if (name.startsWith('amq.')) throw new BrokerRefusal(403, `ACCESS_REFUSED - exchange name '${name}' contains reserved prefix 'amq.*'`);
    this.exchanges.set(name, { name, type, durable, bindings: [] });
  }

  checkExchange(name: string): void {
    if (name !== '' && !this.exchanges.has(name)) throw new BrokerRefusal(404, noExchange(name));
  }

  deleteExchange(name: string): void {
    if (name === '' || name.startsWith('amq.'))
      throw new BrokerRefusal(403, `ACCESS_REFUSED - operation not permitted on exchange '${name}'`);
    this.exchanges.delete(name);
    for (const exchange of this.exchanges.values()) {
      exchange.bindings = exchange.bindings.filter((b) => !(b.toExchange && b.destination === name));
    }
  }

  /** Bind a queue (`toExchange` false) or an exchange to `source`. Binding twice is a no-op. */
  bind(destination: string, toExchange: boolean, source: string, key: string, args?: Record<string, unknown>): void {
    if (source === '') throw new BrokerRefusal(403, 'ACCESS_REFUSED - operation not permitted on the default exchange');
    const exchange = this.exchanges.get(source);
    if (!exchange) throw new BrokerRefusal(404, noExchange(source));
    if (toExchange ? !this.exchanges.has(destination) : !this.queues.has(destination)) {
      throw new BrokerRefusal(404, toExchange ? noExchange(destination) : noQueue(destination));
    }
    if (exchange.bindings.some((b) => sameBinding(b, destination, toExchange, key, args))) return;
    exchange.bindings.push({ destination, toExchange, key, args });
  }

  unbind(destination: string, toExchange: boolean, source: string, key: string, args?: Record<string, unknown>): void {
    const exchange = this.exchanges.get(source);
    if (!exchange) throw new BrokerRefusal(404, noExchange(source));
    exchange.bindings = exchange.bindings.filter((b) => !sameBinding(b, destination, toExchange, key, args));
  }

  // ---- queues ----------------------------------------------------------------------------

  /** Declare a queue, or check an existing one is equivalent (RabbitMQ's 406 otherwise). `''` makes a server-named queue. */
  declareQueue(name: string, settings: QueueSettings, connection: object): MemoryQueue {
    if (name.startsWith('amq.')) throw new BrokerRefusal(403, `ACCESS_REFUSED - queue name '${name}' contains reserved prefix 'amq.*'`);
    const existing = name === '' ? undefined : this.queues.get(name);
    if (existing) {
      this.checkOwner(existing, connection);
      for (const field of ['durable', 'autoDelete', 'exclusive'] as const) {
        if (existing.settings[field] !== settings[field])
          throw inequivalent(field === 'autoDelete' ? 'auto_delete' : field, 'queue', name, settings[field], existing.settings[field]);
      }
      for (const arg of EQUIVALENCE_ARGS) {
        const was = existing.settings.arguments[arg];
        const now = settings.arguments[arg];
        if (was !== now) throw inequivalent(arg, 'queue', name, now ?? 'none', was ?? 'none');
      }
      this.touch(existing);
      return existing;
    }
    if (settings.arguments['x-queue-type'] === 'quorum' && settings.arguments['x-max-priority'] !== undefined) {
      // RabbitMQ before 4 has no priorities on quorum queues (rabbit_quorum_queue refuses the argument).
      throw new BrokerRefusal(
        406,
        `PRECONDITION_FAILED - invalid arg 'x-max-priority' for queue '${name}' in vhost '/' of queue type rabbit_quorum_queue`,
      );
    }
    const queueName = name === '' ? `amq.gen-${randomBytes(16).toString('base64url')}` : name;
    const queue = new MemoryQueue(queueName, settings, settings.exclusive ? connection : undefined);
    this.queues.set(queueName, queue);
    this.touch(queue);
    return queue;
  }

  /** The queue (passive check): 404 when absent, 405 when another connection's exclusive queue. */
  queue(name: string, connection: object): MemoryQueue {
    const queue = this.queues.get(name);
    if (!queue) throw new BrokerRefusal(404, noQueue(name));
    this.checkOwner(queue, connection);
    return queue;
  }

  /** The queue, or undefined when absent; 405 when another connection's exclusive queue. */
  findQueue(name: string, connection: object): MemoryQueue | undefined {
    const queue = this.queues.get(name);
    if (queue) this.checkOwner(queue, connection);
    return queue;
  }

  /** Delete a queue and its bindings; its consumers are cancelled. Returns how many messages it held. */
  deleteQueue(name: string): number {
    const queue = this.queues.get(name);
    if (!queue) return 0;
    this.queues.delete(name);
    this.dirty.delete(queue);
    clearTimeout(queue.expiryTimer);
    clearTimeout(queue.unusedTimer);
    for (const exchange of this.exchanges.values()) {
      exchange.bindings = exchange.bindings.filter((b) => b.toExchange || b.destination !== name);
    }
    for (const consumer of queue.consumers.splice(0)) consumer.cancelledByBroker();
    return queue.purge();
  }

  /** A connection closed: its exclusive queues go with it. */
  connectionClosed(connection: object): void {
    for (const queue of [...this.queues.values()]) if (queue.owner === connection) this.deleteQueue(queue.name);
  }

  addConsumer(queue: MemoryQueue, consumer: QueueConsumer): void {
    queue.consumers.push(consumer);
    queue.hadConsumer = true;
    clearTimeout(queue.unusedTimer);
    queue.unusedTimer = undefined;
    this.kick(queue);
  }

  removeConsumer(queue: MemoryQueue, consumer: QueueConsumer): void {
    const index = queue.consumers.indexOf(consumer);
    if (index < 0) return;
    queue.consumers.splice(index, 1);
    if (queue.consumers.length > 0 || this.queues.get(queue.name) !== queue) return;
    if (queue.settings.autoDelete && queue.hadConsumer) this.deleteQueue(queue.name);
    else this.touch(queue);
  }

  // ---- messages --------------------------------------------------------------------------

  /** Route a published message; returns how many queues took it (0 = unroutable). */
  publish(exchangeName: string, routingKey: string, content: Buffer, properties: MessageProperties): number {
    const exchange = exchangeName === '' ? undefined : this.exchanges.get(exchangeName);
    if (exchangeName !== '' && !exchange) throw new BrokerRefusal(404, noExchange(exchangeName));
    const targets = this.route(exchange, routingKey, properties.headers);
    for (const queue of targets) this.enqueue(queue, exchangeName, routingKey, content, properties);
    return targets.size;
  }

  /**
   * A message back from a consumer (requeued, or its channel closed): back in its place, flagged
   * redelivered. A quorum queue counts it in `x-delivery-count` and, past its `x-delivery-limit`,
   * dead-letters it (reason `delivery_limit`) instead.
   */
  requeue(queue: MemoryQueue, message: StoredMessage): void {
    if (this.queues.get(queue.name) !== queue) return; // the queue was deleted meanwhile
    if (queue.quorum) {
      const count = countOf(message.properties.headers) + 1;
      message.properties = { ...message.properties, headers: { ...message.properties.headers, 'x-delivery-count': count } };
      if (queue.deliveryLimit !== undefined && count > queue.deliveryLimit) {
        this.deadLetter(queue, message, 'delivery_limit');
        return;
      }
    }
    message.redelivered = true;
    queue.requeue(message);
    this.kick(queue);
  }

  /**
   * Dead-letter a message as RabbitMQ does: to the queue's `x-dead-letter-exchange`, with its
   * `x-dead-letter-routing-key` or else the original routing key, an `x-death` entry and the
   * `x-first-death-*` headers, and without its per-message expiration. Without a dead-letter
   * exchange (or when it does not exist) the message is dropped.
   */
  deadLetter(queue: MemoryQueue, message: StoredMessage, reason: DeathReason): void {
    if (queue.deadLetterExchange === undefined) return;
    const exchange = queue.deadLetterExchange === '' ? undefined : this.exchanges.get(queue.deadLetterExchange);
    if (queue.deadLetterExchange !== '' && !exchange) return;
    const routingKey = queue.deadLetterRoutingKey ?? message.routingKey;
    const properties: MessageProperties = { ...message.properties, headers: withDeath(message, queue.name, reason), expiration: undefined };
    for (const target of this.route(exchange, routingKey, properties.headers)) {
      this.enqueue(target, queue.deadLetterExchange, routingKey, message.content, properties);
    }
  }

  /** Hand ready messages of `queue` to consumers with room, on the next turn of the event loop. */
  kick(queue: MemoryQueue): void {
    this.dirty.add(queue);
    if (!this.dispatching) this.dispatching = setImmediate(() => this.dispatch());
  }

  /** Take the next live message of `queue` (`basic.get`): expired ones are dead-lettered on the way. */
  take(queue: MemoryQueue): StoredMessage | undefined {
    const now = Date.now();
    for (let message = queue.shift(); message; message = queue.shift()) {
      if (message.expiresAt !== undefined && message.expiresAt <= now) this.deadLetter(queue, message, 'expired');
      else return message;
    }
    return undefined;
  }

  // ---- sessions, idle and reset ------------------------------------------------------------

  register(session: BrokerSession): void {
    this.sessions.add(session);
  }

  unregister(session: BrokerSession): void {
    this.sessions.delete(session);
  }

  /**
   * What still moves: deliveries about to go out, unacked deliveries, unconfirmed publishes,
   * ready messages in a queue with consumers, messages waiting for their TTL (the delay ladder).
   * Empty when the broker is idle. Messages in a queue nobody consumes and that never expire (a
   * dead-letter queue) stay where they are, so they do not count.
   */
  busy(): string[] {
    const busy: string[] = [];
    if (this.dispatching) busy.push('deliveries are being handed out');
    let confirms = 0;
    for (const session of this.sessions) confirms += session.pendingConfirms;
    if (confirms > 0) busy.push(`${confirms} publish(es) not yet confirmed`);
    for (const queue of this.queues.values()) {
      if (queue.unacked > 0) busy.push(`queue '${queue.name}': ${queue.unacked} delivered and not acked`);
      if (queue.messageCount === 0) continue;
      if (queue.consumers.length > 0) busy.push(`queue '${queue.name}': ${queue.messageCount} ready`);
      else if (Number.isFinite(queue.nextExpiry())) busy.push(`queue '${queue.name}': ${queue.messageCount} waiting for their TTL`);
    }
    return busy;
  }

  /** Drop every message (ready, delayed, unacked); queues, exchanges, bindings and connections stay. */
  reset(): void {
    for (const queue of this.queues.values()) {
      queue.purge();
      queue.unacked = 0;
      clearTimeout(queue.expiryTimer);
      queue.expiryTimer = undefined;
      queue.expiryDue = Number.POSITIVE_INFINITY;
    }
    for (const session of this.sessions) session.forgetDeliveries();
  }

  // ---- internals -------------------------------------------------------------------------

  private declareDefaults(): void {
    for (const [name, type] of PREDECLARED) this.exchanges.set(name, { name, type, durable: true, bindings: [] });
  }

  private checkOwner(queue: MemoryQueue, connection: object): void {
    if (queue.owner !== undefined && queue.owner !== connection) {
      throw new BrokerRefusal(
        405,
        `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${queue.name}' in vhost '/'. ` +
          'It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.',
      );
    }
  }

  /** The queues a message reaches from `exchange` (undefined = the default exchange), through exchange-to-exchange bindings too. */
  private route(exchange: MemoryExchange | undefined, routingKey: string, headers: Record<string, unknown> | undefined): Set<MemoryQueue> {
    const targets = new Set<MemoryQueue>();
    if (!exchange) {
      const queue = this.queues.get(routingKey);
      if (queue) targets.add(queue);
      return targets;
    }
    const visited = new Set<string>();
    const walk = (current: MemoryExchange): void => {
      visited.add(current.name);
      for (const binding of current.bindings) {
        if (!bindingMatches(current.type, binding.key, binding.args, routingKey, headers)) continue;
        if (binding.toExchange) {
          const next = this.exchanges.get(binding.destination);
          if (next && !visited.has(next.name)) walk(next);
        } else {
          const queue = this.queues.get(binding.destination);
          if (queue) targets.add(queue);
        }
      }
    };
    walk(exchange);
    return targets;
  }

  private enqueue(queue: MemoryQueue, exchange: string, routingKey: string, content: Buffer, properties: MessageProperties): void {
    const ttl = effectiveTtl(queue.messageTtl, properties.expiration);
    const message: StoredMessage = {
      seq: ++this.seq,
      content,
      properties,
      exchange,
      routingKey,
      redelivered: false,
      priority: queue.priorityOf(properties.priority),
      expiresAt: ttl === undefined ? undefined : Date.now() + ttl,
    };
    queue.push(message);
    if (queue.maxLength !== undefined) {
      // x-max-length drops (dead-letters) from the head, as RabbitMQ's default overflow does.
      while (queue.messageCount > queue.maxLength) this.deadLetter(queue, queue.shift()!, 'maxlen');
    }
    if (message.expiresAt !== undefined && message.expiresAt < queue.expiryDue) this.scheduleExpiry(queue, message.expiresAt);
    this.kick(queue);
  }

  private scheduleExpiry(queue: MemoryQueue, due: number): void {
    clearTimeout(queue.expiryTimer);
    queue.expiryDue = due;
    queue.expiryTimer = setTimeout(() => this.expire(queue), Math.max(0, due - Date.now()));
    queue.expiryTimer.unref();
  }

  private expire(queue: MemoryQueue): void {
    queue.expiryTimer = undefined;
    queue.expiryDue = Number.POSITIVE_INFINITY;
    if (this.queues.get(queue.name) !== queue) return;
    for (const message of queue.takeExpired(Date.now())) this.deadLetter(queue, message, 'expired');
    const next = queue.nextExpiry();
    if (Number.isFinite(next)) this.scheduleExpiry(queue, next);
  }

  private dispatch(): void {
    this.dispatching = undefined;
    const now = Date.now();
    for (const queue of [...this.dirty]) {
      this.dirty.delete(queue);
      if (this.queues.get(queue.name) !== queue) continue;
      while (queue.messageCount > 0) {
        const consumer = queue.consumerWithRoom();
        if (!consumer) break;
        const message = queue.shift()!;
        if (message.expiresAt !== undefined && message.expiresAt <= now) this.deadLetter(queue, message, 'expired');
        else consumer.deliver(queue, message);
      }
    }
  }

  /** `x-expires`: a queue unused (no consumer, not declared again) this long is deleted. */
  private touch(queue: MemoryQueue): void {
    if (queue.expiresMs === undefined || queue.consumers.length > 0) return;
    clearTimeout(queue.unusedTimer);
    queue.unusedTimer = setTimeout(() => {
      if (this.queues.get(queue.name) === queue && queue.consumers.length === 0) this.deleteQueue(queue.name);
    }, queue.expiresMs);
    queue.unusedTimer.unref();
  }
}

function sameBinding(
  b: Binding,
  destination: string,
  toExchange: boolean,
  key: string,
  args: Record<string, unknown> | undefined,
): boolean {
  return (
    b.destination === destination &&
    b.toExchange === toExchange &&
    b.key === key &&
    JSON.stringify(b.args ?? {}) === JSON.stringify(args ?? {})
  );
}

function inequivalent(arg: string, kind: string, name: string, received: unknown, current: unknown): BrokerRefusal {
  return new BrokerRefusal(
    406,
    `PRECONDITION_FAILED - inequivalent arg '${arg}' for ${kind} '${name}' in vhost '/': received '${String(received)}' but current is '${String(current)}'`,
  );
}

/** A quorum queue's count of a message's earlier deliveries (`x-delivery-count`, absent at first). */
function countOf(headers: Record<string, unknown> | undefined): number {
  const count = headers?.['x-delivery-count'];
  return typeof count === 'number' && Number.isSafeInteger(count) && count > 0 ? count : 0;
}
