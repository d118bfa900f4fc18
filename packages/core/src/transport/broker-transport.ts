import type { Options } from 'amqplib';
import { BrokerError, ClosedError } from '../errors';
import { unrefHandle } from '../event-loop-hold';
import type { Logger } from '../logger';
import type { ExchangeDeclaration, QueueDeclaration } from '../routing';
import { maskBrokerUrl, maskSecrets } from './broker-url';
import type { ChannelSource } from './channel-source';
import { ConfirmPublisher, DEFAULT_SEND_TIMEOUT_MS } from './confirm-publisher';
import { type BrokerConnection, connectBroker, type ReconnectOptions, type TlsOptions } from './connect';
import type { LadderKind } from './delay-ladder';
import { DelayedDelivery } from './delayed-delivery';
import { Topology } from './topology';

/** What every transport of an app shares: where the broker is and how to reach it. */
export interface TransportSettings {
  /**
   * `amqp://`, `amqps://` or `memory://`, or several amqp(s) URLs separated by commas — a cluster's
   * nodes, tried in turn (contains passwords: only ever logged masked).
   */
  readonly url: string;
  readonly logger: Logger;
  readonly tls?: TlsOptions | undefined;
  readonly reconnect?: ReconnectOptions | undefined;
  /** How long a publish may wait for the broker, a reconnect included. @defaultValue 30 s */
  readonly sendTimeoutMs?: number;
  /** Configured queues bound to an exchange, so a dead-letter target gets its queues declared too. */
  readonly queuesBoundTo?: (exchange: string) => QueueDeclaration[];
  /** The app's dead-letter queue, declared before the quorum queues that dead-letter to it by default. */
  readonly deadLetterQueue?: QueueDeclaration | undefined;
}

/** What one transport is for. */
export interface TransportRole {
  /** Shown in the RabbitMQ management UI as `taskq <role>`, and in log lines. */
  readonly role: string;
  /**
   * False for a producer: its socket and heartbeat timers do not keep the process alive, so a
   * script that forgot `close()` can exit once nothing is in flight (see EventLoopHold).
   * @defaultValue true
   */
  readonly holdsProcess?: boolean;
  /**
   * AMQP heartbeat in seconds: how soon a dead peer is noticed, by the broker and by us. Beat uses a
   * short one, so a leader cut off from the network loses its lock within seconds.
   * @defaultValue the broker's (RabbitMQ: 60 s)
   */
  readonly heartbeat?: number;
}

/**
 * The transport port: everything taskq does with a broker, for one role (the producer, a worker's
 * consumers, an operator command). One connection, opened on first use; confirmed publishing,
 * with delays through the broker's delay ladder; declarations, each made once per connection and
 * never fighting what exists; channels for consumers, which settle deliveries themselves; and the
 * connection's lifecycle.
 */
export interface Transport {
  /** Open the connection now (the first connect fails fast, with an error that says what to do). */
  connect(): Promise<void>;
  /** The connection's channels, for consumers and queue inspection. During an outage, requests wait. */
  channels(): Promise<ChannelSource>;
  /** Publish and resolve on the broker's confirm (see {@link ConfirmPublisher}). */
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void>;
  /** The same, resolving with `value` (no extra `then` per message; see {@link ConfirmPublisher.publish}). */
  publish<T>(exchange: string, routingKey: string, content: Buffer, options: Options.Publish, value: T): Promise<T>;
  /** Make sure a queue, its exchange, bindings and dead-letter target exist (once per connection). */
  ensureQueue(queue: QueueDeclaration): Promise<void>;
  /** True when {@link ensureQueue} finished for `name` on this connection (a hot-path check, no await). */
  isQueueReady(name: string): boolean;
  /** Make sure an exchange exists (once per connection). */
  ensureExchange(exchange: ExchangeDeclaration): Promise<void>;
  /** Declare queues again, asking the broker rather than the cache (a consumer about to consume them). */
  declareQueues(queues: readonly QueueDeclaration[]): Promise<void>;
  /**
   * Make sure the delay ladder of `kind` (that of the queue's type: quorum queues get a quorum ladder)
   * exists and delivers to `queue` (once per connection).
   */
  ensureDelayTarget(queue: string, kind?: LadderKind): Promise<void>;
  /** True when {@link ensureDelayTarget} finished for `queue` and `kind` on this connection. */
  isDelayTargetReady(queue: string, kind?: LadderKind): boolean;
  /** Call `listener` after every reconnect (a new generation; not the first connect). */
  onReconnect(listener: () => void): void;
  /** Call `listener` when reconnecting was given up (after `reconnect.maxRetries`). */
  onFailure(listener: (error: Error) => void): void;
  /** True once the connection was opened or is opening. */
  readonly isOpen: boolean;
  /** Wait for outstanding confirms, then close the channels and the connection. */
  close(): Promise<void>;
}

/**
 * What belongs to one connection generation: the declarations made on it and the delay ladder
 * bound through it. A reconnect starts a new generation with empty caches (the broker may have
 * lost non-durable objects), so nothing is ever reset in place, and a declaration still running
 * on the old connection cannot mark anything ready on the new one.
 */
class ConnectionGeneration {
  readonly topology: Topology;
  readonly delays: DelayedDelivery;

  constructor(
    readonly connection: ChannelSource,
    logger: Logger,
    queuesBoundTo: (exchange: string) => QueueDeclaration[],
    deadLetterQueue?: QueueDeclaration,
  ) {
    this.topology = new Topology(connection, logger, queuesBoundTo, deadLetterQueue);
    this.delays = new DelayedDelivery(connection);
  }

  dispose(): Promise<void> {
    return this.topology.close();
  }
}

/**
 * The AMQP (and `memory://`) implementation of {@link Transport}: one recovering connection per
 * role — separate roles get separate connections, as RabbitMQ advises, so flow control that
 * blocks a publishing connection cannot stall a consumer's acks. After a broker restart the
 * connection recovers by itself and a new {@link ConnectionGeneration} replaces the old one.
 *
 * The confirm publisher deliberately spans generations: a message not yet confirmed when its
 * connection died is published again on the next one, until its send deadline — that is its job.
 */
export class BrokerTransport implements Transport {
  private connection: Promise<BrokerConnection> | undefined;
  private generation: ConnectionGeneration | undefined;
  private closed = false;
  private readonly publisher: ConfirmPublisher;
  private readonly reconnectListeners: Array<() => void> = [];
  private readonly failureListeners: Array<(error: Error) => void> = [];
  private readonly name: string;
  private readonly queuesBoundTo: (exchange: string) => QueueDeclaration[];

  constructor(
    private readonly settings: TransportSettings,
    private readonly role: TransportRole,
  ) {
    this.name = `taskq ${role.role}`;
    this.queuesBoundTo = settings.queuesBoundTo ?? (() => []);
    this.publisher = new ConfirmPublisher(() => this.channels(), settings.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS);
  }

  async connect(): Promise<void> {
    await this.open();
  }

  channels(): Promise<ChannelSource> {
    return this.open();
  }

  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): Promise<void>;
  publish<T>(exchange: string, routingKey: string, content: Buffer, options: Options.Publish, value: T): Promise<T>;
  publish(exchange: string, routingKey: string, content: Buffer, options: Options.Publish, value?: unknown): Promise<unknown> {
    return this.publisher.publish(exchange, routingKey, content, options, value);
  }

  ensureQueue(queue: QueueDeclaration): Promise<void> {
    return this.current().then((generation) => generation.topology.ensureQueue(queue));
  }

  isQueueReady(name: string): boolean {
    return this.generation?.topology.isQueueReady(name) ?? false;
  }

  ensureExchange(exchange: ExchangeDeclaration): Promise<void> {
    return this.current().then((generation) => generation.topology.ensureExchange(exchange));
  }

  async declareQueues(queues: readonly QueueDeclaration[]): Promise<void> {
    // A topology of its own: the queue may have been deleted since the generation's cache saw it.
    const topology = new Topology(await this.open(), this.settings.logger, this.queuesBoundTo, this.settings.deadLetterQueue);
    try {
      for (const queue of queues) await topology.ensureQueue(queue);
    } finally {
      await topology.close();
    }
  }

  ensureDelayTarget(queue: string, kind?: LadderKind): Promise<void> {
    return this.current().then((generation) => generation.delays.ensureTarget(queue, kind));
  }

  isDelayTargetReady(queue: string, kind?: LadderKind): boolean {
    return this.generation?.delays.isTargetReady(queue, kind) ?? false;
  }

  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  onFailure(listener: (error: Error) => void): void {
    this.failureListeners.push(listener);
  }

  get isOpen(): boolean {
    return this.connection !== undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.publisher.close();
    this.closed = true;
    await this.generation?.dispose();
    this.generation = undefined;
    const connection = await this.connection?.catch(() => undefined);
    this.connection = undefined;
    await connection?.close().catch(() => undefined);
  }

  /** The current generation, once connected. */
  private async current(): Promise<ConnectionGeneration> {
    await this.open();
    return this.generation!;
  }

  private open(): Promise<BrokerConnection> {
    if (this.closed) return Promise.reject(new ClosedError(`The ${this.name} connection`));
    if (!this.connection) {
      const opening = connectBroker(this.settings.url, {
        connectionName: this.name,
        ...(this.settings.tls ? { tls: this.settings.tls } : {}),
        ...(this.settings.reconnect ? { reconnect: this.settings.reconnect } : {}),
        ...(this.role.heartbeat !== undefined ? { heartbeat: this.role.heartbeat } : {}),
      }).then((connection) => {
        this.watch(connection);
        this.generation = new ConnectionGeneration(connection, this.settings.logger, this.queuesBoundTo, this.settings.deadLetterQueue);
        return connection;
      });
      opening.catch(() => {
        if (this.connection === opening) this.connection = undefined;
      });
      this.connection = opening;
    }
    return this.connection;
  }

  private watch(connection: BrokerConnection): void {
    const { logger } = this.settings;
    const masked = maskBrokerUrl(this.settings.url);
    const node = (): string => maskBrokerUrl(connection.url ?? this.settings.url);
    const holdsProcess = this.role.holdsProcess ?? true;
    if (!holdsProcess) releaseEventLoop(connection.current);
    connection.on('error', (err: Error) => logger.debug(`Broker connection error (${this.name}): ${maskSecrets(err.message, node())}`));
    connection.on('disconnect', (err: Error) => {
      if (!this.closed) {
        logger.warn(`Lost the broker connection (${this.name}) to ${node()}: ${maskSecrets(err.message, node())}. Reconnecting…`);
      }
    });
    connection.on('connect', (model: unknown) => {
      if (!holdsProcess) releaseEventLoop(model);
      logger.warn(`Reconnected (${this.name}) to ${node()}.`);
      const old = this.generation;
      this.generation = new ConnectionGeneration(connection, logger, this.queuesBoundTo, this.settings.deadLetterQueue);
      void old?.dispose();
      for (const listener of this.reconnectListeners) listener();
    });
    connection.on('reconnect-failed', (err: Error) => {
      const error = new BrokerError(
        'BROKER_RECONNECT_FAILED',
        `Gave up reconnecting (${this.name}) to ${masked}: ${maskSecrets(err.message, this.settings.url)}`,
      );
      logger.error(error.message);
      for (const listener of this.failureListeners) listener(error);
    });
  }
}

/**
 * Unref a ChannelModel's socket and heartbeat timers. These are amqplib internals (2.x:
 * `model.connection.stream`, `model.connection.heartbeater.{sendTimer,recvTimer}`); when a later
 * amqplib moves them, nothing is unref'd and a script without `close()` simply keeps running,
 * as it did before, so the coupling can only cost that convenience.
 */
function releaseEventLoop(model: unknown): void {
  const connection = (
    model as { connection?: { stream?: unknown; heartbeater?: { sendTimer?: unknown; recvTimer?: unknown } } } | undefined
  )?.connection;
  unrefHandle(connection?.stream);
  unrefHandle(connection?.heartbeater?.sendTimer);
  unrefHandle(connection?.heartbeater?.recvTimer);
}
