import type { Channel } from 'amqplib';
import type { ChannelSource } from './channel-source';
import { BrokerError } from '../errors';
import type { Logger } from '../logger';
import type { ExchangeDeclaration, QueueDeclaration } from '../routing';
import { toAssertQueueOptions } from './amqp-arguments';
import { AMQP_REPLY, replyCodeOf } from './amqp-reply';

/**
 * Declares exchanges, queues and bindings once per connection generation, and never fights what already
 * exists: a queue or exchange that is there is used as it is (a passive check first), so a queue
 * declared earlier with other arguments — by Celery, an operator or an older config — never
 * causes a PRECONDITION_FAILED crash. Declarations are cached; `ensureQueue` on a known queue
 * costs a Set lookup.
 */
export class Topology {
  private readonly ensured = new Map<string, Promise<void>>();
  /** Keys whose declaration finished (the map above also holds ones still in progress). */
  private readonly done = new Set<string>();
  private channel: Promise<Channel> | undefined;
  /** Declarations run one at a time: a passive 404 closes the channel under any concurrent call. */
  private serial: Promise<unknown> = Promise.resolve();

  constructor(
    /** The connection of one generation (see BrokerTransport): this cache lives and dies with it. */
    private readonly connection: ChannelSource,
    private readonly logger: Logger,
    /** Configured queues bound to an exchange, so a dead-letter target gets its queues declared too. */
    private readonly queuesBoundTo: (exchange: string) => QueueDeclaration[] = () => [],
    /**
     * The app's dead-letter queue: quorum queues without a `deadLetter` target dead-letter there
     * (delivery limit reached, message expired), so it is declared before them.
     */
    private readonly deadLetterQueue?: QueueDeclaration,
  ) {}

  /** True when the queue was already declared through this topology (hot-path check, no await). */
  isQueueReady(name: string): boolean {
    return this.done.has(`q:${name}`);
  }

  /** Make sure the queue, its exchange, its bindings and its dead-letter target exist. */
  ensureQueue(queue: QueueDeclaration): Promise<void> {
    return this.once(`q:${queue.name}`, async () => {
      if (queue.exchange) await this.ensureExchange(queue.exchange);
      if (queue.deadLetter) await this.ensureDeadLetterTarget(queue.deadLetter.exchange);
      else if (this.deadLetterQueue && this.defaultDeadLetterApplies(queue)) await this.ensureQueue(this.deadLetterQueue);
      await this.declareQueue(queue);
      for (const key of queue.bindingKeys) {
        if (queue.exchange) await this.withChannel((ch) => ch.bindQueue(queue.name, queue.exchange!.name, key));
      }
    });
  }

  /** Make sure an exchange exists (an existing one is used as it is). */
  ensureExchange(exchange: ExchangeDeclaration): Promise<void> {
    if (exchange.name === '' || exchange.name.startsWith('amq.')) return Promise.resolve();
    return this.once(`x:${exchange.name}`, async () => {
      if (await this.exists((ch) => ch.checkExchange(exchange.name))) return;
      await this.withChannel((ch) => ch.assertExchange(exchange.name, exchange.type, { durable: exchange.durable }));
    });
  }

  async close(): Promise<void> {
    const channel = await this.channel?.catch(() => undefined);
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
  }

  private async ensureDeadLetterTarget(exchange: string): Promise<void> {
    if (exchange === '') return;
    const queues = this.queuesBoundTo(exchange);
    if (queues.length === 0) {
      // Without a declared target RabbitMQ drops dead letters silently; make the exchange exist at least.
      this.logger.warn(
        `Dead-letter exchange '${exchange}' has no queue in the routing config: dead letters will be dropped until one is bound.`,
      );
      await this.ensureExchange({ name: exchange, type: 'direct', durable: true });
      return;
    }
    for (const queue of queues) await this.ensureQueue(queue);
  }

  /** A quorum queue without a `deadLetter` target dead-letters to the app's dead-letter queue (see toAssertQueueOptions). */
  private defaultDeadLetterApplies(queue: QueueDeclaration): boolean {
    return queue.queueType === 'quorum' && queue.deadLetter === undefined && queue.name !== this.deadLetterQueue?.name;
  }

  private async declareQueue(queue: QueueDeclaration): Promise<void> {
    if (await this.exists((ch) => ch.checkQueue(queue.name))) return;
    try {
      await this.withChannel((ch) => ch.assertQueue(queue.name, toAssertQueueOptions(queue, this.deadLetterQueue?.name)));
    } catch (err) {
      // Another client declared it between our check and our declare, with other arguments: use theirs.
      if (isPreconditionFailed(err) && (await this.exists((ch) => ch.checkQueue(queue.name)))) {
        this.logger.warn(`Queue '${queue.name}' already exists with other arguments; using it as it is.`);
        return;
      }
      throw new BrokerError('QUEUE_DECLARE_FAILED', `Cannot declare queue '${queue.name}': ${(err as Error).message}`, { cause: err });
    }
  }

  private once(key: string, declare: () => Promise<void>): Promise<void> {
    let pending = this.ensured.get(key);
    if (!pending) {
      pending = declare();
      this.ensured.set(key, pending);
      pending.then(
        () => this.done.add(key),
        () => this.ensured.delete(key),
      );
    }
    return pending;
  }

  /** Run a passive check; a 404 closes the channel, which is expected and means "absent". */
  private async exists(check: (ch: Channel) => Promise<unknown>): Promise<boolean> {
    try {
      await this.withChannel(check);
      return true;
    } catch (err) {
      if (replyCodeOf(err) === AMQP_REPLY.NOT_FOUND) return false;
      throw err;
    }
  }

  private withChannel<T>(operation: (ch: Channel) => Promise<T>): Promise<T> {
    const run = this.serial.then(async () => {
      const channel = await this.openChannel();
      try {
        return await operation(channel);
      } catch (err) {
        // A failed AMQP method closes its channel; open a new one for the next operation.
        if (this.channel) this.channel = undefined;
        throw err;
      }
    });
    this.serial = run.catch(() => undefined);
    return run;
  }

  private openChannel(): Promise<Channel> {
    if (!this.channel) {
      const opening = this.connection.createChannel().then((channel) => {
        channel.on('error', () => undefined); // passive-check 404s close the channel by design
        channel.on('close', () => {
          if (this.channel === opening) this.channel = undefined;
        });
        return channel;
      });
      opening.catch(() => {
        if (this.channel === opening) this.channel = undefined;
      });
      this.channel = opening;
    }
    return this.channel;
  }
}

function isPreconditionFailed(err: unknown): boolean {
  return replyCodeOf(err) === AMQP_REPLY.PRECONDITION_FAILED;
}
