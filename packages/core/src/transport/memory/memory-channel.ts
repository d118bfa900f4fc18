import type { ConsumeMessage, GetMessage, Message, Options, Replies } from 'amqplib';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { channelClosedByServer, IllegalOperationError, operationFailed } from './amqp-errors';
import type { MemoryExchangeType } from './binding-match';
import { BrokerRefusal, type BrokerSession, type MemoryBroker } from './memory-broker';
import { ChannelConsumer, type ConsumeCallback, type ConsumerHost } from './channel-consumer';
import type { MemoryQueue, StoredMessage } from './memory-queue';
import { copyProperties, toMessageProperties } from './message-properties';
import { toQueueSettings } from './queue-settings';

/** A delivery not yet acked: the channel owns it until ack, nack, reject or close. */
interface Unacked {
  readonly queue: MemoryQueue;
  readonly message: StoredMessage;
  readonly consumer: ChannelConsumer | undefined;
  /** Dropped by the broker's reset(): settling it does nothing. */
  forgotten: boolean;
}

/**
 * A channel on the {@link MemoryBroker} with the part of amqplib's promise API that taskq uses,
 * and amqplib's behaviour where a caller can tell: methods resolve asynchronously; a refused
 * method rejects with amqplib's error (`code` 404, 405, 406…) and closes the channel ('error' then
 * 'close'); operations on a closed channel throw or reject with an IllegalOperationError;
 * unacked deliveries go back to their queues, flagged redelivered, when the channel closes;
 * an unknown delivery tag closes the channel with 406. With `confirm`, publish callbacks get
 * the broker's confirm on a later turn of the event loop, after any 'return'.
 */
export class MemoryChannel extends EventEmitter implements BrokerSession, ConsumerHost {
  private closed = false;
  private nextTag = 1;
  private readonly unacked = new Map<number, Unacked>();
  private readonly consumers = new Map<string, ChannelConsumer>();
  /** `basic.qos` for consumers created from now on (global = false); 0 = no limit. */
  private consumerPrefetch = 0;
  /** The channel-wide window (global = true), shared by all its consumers; 0 = no limit. */
  private channelPrefetch = 0;
  /** Consumer deliveries not yet settled, counted against the channel-wide window. */
  private windowUsed = 0;
  /** Confirms and returns, handed to the client in publish order on the next turn of the event loop. */
  private outbox: Array<{ confirm?: (err: Error | null) => void; returned?: Message }> = [];
  private flushing: NodeJS.Immediate | undefined;
  private readonly confirmWaiters: Array<() => void> = [];

  constructor(
    private readonly broker: MemoryBroker,
    private readonly connection: object,
    private readonly confirm: boolean,
    private readonly onClose: (channel: MemoryChannel) => void,
  ) {
    super();
    broker.register(this);
  }

  // ---- topology --------------------------------------------------------------------------

  assertQueue(queue = '', options: Options.AssertQueue = {}): Promise<Replies.AssertQueue> {
    return this.rpc('QueueDeclare', () => {
      const declared = this.broker.declareQueue(queue, toQueueSettings(options), this.connection);
      return { queue: declared.name, messageCount: declared.messageCount, consumerCount: declared.consumers.length };
    });
  }

  checkQueue(queue: string): Promise<Replies.AssertQueue> {
    return this.rpc('QueueDeclare', () => {
      const found = this.broker.queue(queue, this.connection);
      return { queue, messageCount: found.messageCount, consumerCount: found.consumers.length };
    });
  }

  deleteQueue(queue: string, _options?: Options.DeleteQueue): Promise<Replies.DeleteQueue> {
    return this.rpc('QueueDelete', () => {
      this.broker.findQueue(queue, this.connection); // another connection's exclusive queue: 405
      return { messageCount: this.broker.deleteQueue(queue) };
    });
  }

  purgeQueue(queue: string): Promise<Replies.PurgeQueue> {
    return this.rpc('QueuePurge', () => ({ messageCount: this.broker.queue(queue, this.connection).purge() }));
  }

  bindQueue(queue: string, source: string, pattern: string, args?: Record<string, unknown>): Promise<Replies.Empty> {
    return this.rpc('QueueBind', () => {
      this.broker.queue(queue, this.connection);
      this.broker.bind(queue, false, source, pattern, args);
      return {};
    });
  }

  unbindQueue(queue: string, source: string, pattern: string, args?: Record<string, unknown>): Promise<Replies.Empty> {
    return this.rpc('QueueUnbind', () => {
      this.broker.unbind(queue, false, source, pattern, args);
      return {};
    });
  }

  assertExchange(exchange: string, type: string, options: Options.AssertExchange = {}): Promise<Replies.AssertExchange> {
    return this.rpc('ExchangeDeclare', () => {
      if (!['direct', 'topic', 'fanout', 'headers'].includes(type)) {
        throw new BrokerRefusal(503, `COMMAND_INVALID - unknown exchange type '${type}'`);
      }
      this.broker.declareExchange(exchange, type as MemoryExchangeType, options.durable ?? true);
      return { exchange };
    });
  }

  checkExchange(exchange: string): Promise<Replies.Empty> {
    return this.rpc('ExchangeDeclare', () => {
      this.broker.checkExchange(exchange);
      return {};
    });
  }

  deleteExchange(exchange: string, _options?: Options.DeleteExchange): Promise<Replies.Empty> {
    return this.rpc('ExchangeDelete', () => {
      this.broker.deleteExchange(exchange);
      return {};
    });
  }

  bindExchange(destination: string, source: string, pattern: string, args?: Record<string, unknown>): Promise<Replies.Empty> {
    return this.rpc('ExchangeBind', () => {
      this.broker.bind(destination, true, source, pattern, args);
      return {};
    });
  }

  unbindExchange(destination: string, source: string, pattern: string, args?: Record<string, unknown>): Promise<Replies.Empty> {
    return this.rpc('ExchangeUnbind', () => {
      this.broker.unbind(destination, true, source, pattern, args);
      return {};
    });
  }

  // ---- publishing ------------------------------------------------------------------------

  /** Publish; routing happens now. Always returns true (nothing to drain in memory). */
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: Options.Publish = {},
    callback?: (err: Error | null) => void,
  ): boolean {
    if (this.closed) throw new IllegalOperationError('Channel closed');
    const properties = toMessageProperties(options);
    let routed: number;
    try {
      routed = this.broker.publish(exchange, routingKey, Buffer.from(content), properties);
    } catch (err) {
      if (!(err instanceof BrokerRefusal)) throw err;
      if (this.confirm) this.outbox.push({ confirm: callback });
      this.closeByServer(err);
      return true;
    }
    const returned: Message | undefined =
      routed === 0 && options.mandatory
        ? { content, fields: { replyCode: 312, replyText: 'NO_ROUTE', exchange, routingKey } as unknown as Message['fields'], properties }
        : undefined;
    if (returned || this.confirm) {
      this.outbox.push({ ...(this.confirm ? { confirm: callback ?? noop } : {}), ...(returned ? { returned } : {}) });
      this.flushing ??= setImmediate(() => this.flushOutbox());
    }
    return true;
  }

  sendToQueue(queue: string, content: Buffer, options?: Options.Publish, callback?: (err: Error | null) => void): boolean {
    return this.publish('', queue, content, options, callback);
  }

  /** Resolve once every publish so far is confirmed; reject if the channel closed with some unconfirmed. */
  waitForConfirms(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('channel closed'));
    if (!this.outbox.some((entry) => entry.confirm)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.confirmWaiters.push(() => (this.closed ? reject(new Error('channel closed')) : resolve()));
    });
  }

  get pendingConfirms(): number {
    return this.outbox.length;
  }

  // ---- consuming -------------------------------------------------------------------------

  consume(queue: string, onMessage: ConsumeCallback, options: Options.Consume = {}): Promise<Replies.Consume> {
    return this.rpc('BasicConsume', () => {
      const found = this.broker.queue(queue, this.connection);
      const tag = options.consumerTag ?? `amq.ctag-${randomBytes(16).toString('base64url')}`;
      if (this.consumers.has(tag)) throw new BrokerRefusal(530, `NOT_ALLOWED - attempt to reuse consumer tag '${tag}'`);
      if (options.exclusive && found.consumers.length > 0) {
        throw new BrokerRefusal(403, `ACCESS_REFUSED - queue '${queue}' in vhost '/' in exclusive use`);
      }
      const consumer = new ChannelConsumer(tag, found, options.noAck ?? false, this.consumerPrefetch, onMessage, this);
      this.consumers.set(tag, consumer);
      this.broker.addConsumer(found, consumer);
      return { consumerTag: tag };
    });
  }

  /** Stop a consumer; its unacked deliveries stay with the channel, as in AMQP. */
  cancel(consumerTag: string): Promise<Replies.Empty> {
    return this.rpc('BasicCancel', () => {
      const consumer = this.consumers.get(consumerTag);
      if (consumer) {
        this.consumers.delete(consumerTag);
        this.broker.removeConsumer(consumer.queue, consumer);
      }
      return { consumerTag };
    });
  }

  get(queue: string, options: Options.Get = {}): Promise<GetMessage | false> {
    return this.rpc('BasicGet', () => {
      const found = this.broker.queue(queue, this.connection);
      const message = this.broker.take(found);
      if (!message) return false as const;
      const tag = this.nextTag++;
      if (!options.noAck) this.track(tag, found, message, undefined);
      return {
        content: message.content,
        fields: {
          deliveryTag: tag,
          redelivered: message.redelivered,
          exchange: message.exchange,
          routingKey: message.routingKey,
          messageCount: found.messageCount,
        },
        properties: copyProperties(message.properties),
      } as GetMessage;
    });
  }

  /** `basic.qos`: per consumer (for consumers created later) or, with `global`, for the whole channel. */
  prefetch(count: number, global = false): Promise<Replies.Empty> {
    return this.rpc('BasicQos', () => {
      if (global) this.channelPrefetch = count;
      else this.consumerPrefetch = count;
      this.kickConsumers();
      return {};
    });
  }

  ack(message: Pick<Message, 'fields'>, allUpTo = false): void {
    this.settle(message.fields.deliveryTag, allUpTo, 'ack');
  }

  ackAll(): void {
    this.settle(0, true, 'ack');
  }

  nack(message: Pick<Message, 'fields'>, allUpTo = false, requeue = true): void {
    this.settle(message.fields.deliveryTag, allUpTo, requeue ? 'requeue' : 'dead-letter');
  }

  nackAll(requeue = true): void {
    this.settle(0, true, requeue ? 'requeue' : 'dead-letter');
  }

  reject(message: Pick<Message, 'fields'>, requeue = true): void {
    this.settle(message.fields.deliveryTag, false, requeue ? 'requeue' : 'dead-letter');
  }

  /** `basic.recover`: every unacked delivery goes back to its queue, flagged redelivered. */
  recover(): Promise<Replies.Empty> {
    return this.rpc('BasicRecover', () => {
      this.requeueAll();
      return {};
    });
  }

  /** Close the channel: pending confirms are delivered first, unacked deliveries go back to their queues. */
  close(): Promise<void> {
    if (this.closed) return Promise.reject(new IllegalOperationError('Channel closed'));
    this.flushOutbox();
    this.teardown();
    return new Promise((resolve) =>
      setImmediate(() => {
        this.emit('close');
        resolve();
      }),
    );
  }

  // ---- called by the broker and the connection ------------------------------------------

  /** Whether the channel-wide window has room. */
  hasRoom(): boolean {
    return !this.closed && (this.channelPrefetch === 0 || this.windowUsed < this.channelPrefetch);
  }

  deliver(consumer: ChannelConsumer, queue: MemoryQueue, message: StoredMessage): void {
    const tag = this.nextTag++;
    if (!consumer.noAck) this.track(tag, queue, message, consumer);
    const delivery: ConsumeMessage = {
      content: message.content,
      fields: {
        consumerTag: consumer.tag,
        deliveryTag: tag,
        redelivered: message.redelivered,
        exchange: message.exchange,
        routingKey: message.routingKey,
      },
      properties: copyProperties(message.properties),
    };
    try {
      consumer.callback(delivery);
    } catch (err) {
      // As with amqplib, a consumer that throws is the application's bug: surface it, do not swallow it.
      process.nextTick(() => {
        throw err;
      });
    }
  }

  consumerCancelled(consumer: ChannelConsumer): void {
    if (this.consumers.get(consumer.tag) !== consumer) return;
    this.consumers.delete(consumer.tag);
    process.nextTick(() => consumer.callback(null));
  }

  forgetDeliveries(): void {
    for (const entry of this.unacked.values()) entry.forgotten = true;
  }

  /** The connection closed under the channel. */
  connectionClosed(): void {
    if (this.closed) return;
    this.teardown();
    this.failOutbox();
    process.nextTick(() => this.emit('close'));
  }

  // ---- internals -------------------------------------------------------------------------

  private rpc<T>(method: string, operation: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new IllegalOperationError('Channel closed'));
    try {
      return Promise.resolve(operation());
    } catch (err) {
      if (!(err instanceof BrokerRefusal)) return Promise.reject(err);
      this.closeByServer(err);
      return Promise.reject(operationFailed(method, err.code, err.replyText));
    }
  }

  private track(tag: number, queue: MemoryQueue, message: StoredMessage, consumer: ChannelConsumer | undefined): void {
    this.unacked.set(tag, { queue, message, consumer, forgotten: false });
    queue.unacked++;
    if (consumer) {
      // basic.get deliveries are outside the prefetch windows, as in RabbitMQ.
      consumer.unacked++;
      this.windowUsed++;
    }
  }

  private untrack(tag: number, entry: Unacked): void {
    this.unacked.delete(tag);
    if (entry.consumer) {
      entry.consumer.unacked--;
      this.windowUsed--;
    }
    if (!entry.forgotten) entry.queue.unacked--;
  }

  /** RabbitMQ's rule: the tag must be outstanding; `multiple` covers every outstanding tag up to it (0 = all). */
  private settle(tag: number, multiple: boolean, action: 'ack' | 'requeue' | 'dead-letter'): void {
    if (this.closed) throw new IllegalOperationError('Channel closed');
    const targets: Array<[number, Unacked]> = [];
    if (multiple) {
      for (const [t, entry] of this.unacked) if (tag === 0 || t <= tag) targets.push([t, entry]);
    } else {
      const entry = this.unacked.get(tag);
      if (entry) targets.push([tag, entry]);
    }
    if (tag !== 0 && !this.unacked.has(tag)) {
      this.closeByServer(new BrokerRefusal(406, `PRECONDITION_FAILED - unknown delivery tag ${tag}`));
      return;
    }
    for (const [t, entry] of targets) {
      this.untrack(t, entry);
      if (entry.forgotten) continue;
      if (action === 'requeue') this.broker.requeue(entry.queue, entry.message);
      else if (action === 'dead-letter') this.broker.deadLetter(entry.queue, entry.message, 'rejected');
    }
    this.kickConsumers();
  }

  private requeueAll(): void {
    for (const [tag, entry] of [...this.unacked]) {
      this.untrack(tag, entry);
      if (!entry.forgotten) this.broker.requeue(entry.queue, entry.message);
    }
    this.kickConsumers();
  }

  /** Room opened in some window: let the queues of this channel's consumers hand out more. */
  private kickConsumers(): void {
    for (const consumer of this.consumers.values()) this.broker.kick(consumer.queue);
  }

  /** A refused method closes the channel: 'error', then failed confirms, then 'close' (amqplib's order). */
  private closeByServer(refusal: BrokerRefusal): void {
    if (this.closed) return;
    this.teardown();
    process.nextTick(() => {
      if (this.listenerCount('error') > 0) this.emit('error', channelClosedByServer(refusal.code, refusal.replyText));
      this.failOutbox();
      this.emit('close');
    });
  }

  /** Closed from either side: consumers go, unacked deliveries go back to their queues. */
  private teardown(): void {
    this.closed = true;
    for (const consumer of this.consumers.values()) this.broker.removeConsumer(consumer.queue, consumer);
    const queues = new Set([...this.consumers.values()].map((c) => c.queue));
    this.consumers.clear();
    this.requeueAll();
    for (const queue of queues) this.broker.kick(queue);
    this.broker.unregister(this);
    this.onClose(this);
  }

  private flushOutbox(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    for (const entry of this.outbox.splice(0)) {
      if (entry.returned) this.emit('return', entry.returned);
      entry.confirm?.(null);
    }
    for (const waiter of this.confirmWaiters.splice(0)) waiter();
  }

  private failOutbox(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    const error = new Error('channel closed');
    for (const entry of this.outbox.splice(0)) entry.confirm?.(error);
    for (const waiter of this.confirmWaiters.splice(0)) waiter();
  }
}

function noop(): void {}
