import type { RecoveringChannelModel } from 'amqplib';
import { BrokerError, ClosedError } from '../errors';
import type { Logger } from '../logger';
import { maskBrokerUrl } from './broker-url';
import type { ChannelSource } from './channel-source';
import { connectBroker, type ConnectOptions } from './connect';
import { unrefHandle } from '../event-loop-hold';

/** Options for a {@link LazyConnection} beyond those of one AMQP connection. */
export interface LazyConnectionOptions extends Omit<ConnectOptions, 'connectionName'> {
  /**
   * False for a producer: its socket and heartbeat timers do not keep the process alive, so a
   * script that forgot `close()` can exit once nothing is in flight (see EventLoopHold).
   * @defaultValue true
   */
  holdsProcess?: boolean;
}

/**
 * One recovering AMQP connection, opened on first use and shared by the channels of one role
 * (producer or worker). Separate roles get separate connections, as RabbitMQ advises: flow control
 * that blocks a publishing connection must not stall a consumer's acks. After a broker restart it
 * reconnects by itself; components re-create their channels and topology through {@link onReconnect}.
 */
export class LazyConnection {
  private connection: Promise<RecoveringChannelModel> | undefined;
  private closed = false;
  private readonly reconnectListeners: Array<() => void> = [];
  private readonly failureListeners: Array<(error: Error) => void> = [];

  constructor(
    private readonly url: string,
    private readonly name: string,
    private readonly logger: Logger,
    private readonly options: LazyConnectionOptions = {},
  ) {}

  /** The connection (opening it if needed). During an outage its channel requests wait. */
  get(): Promise<ChannelSource> {
    if (this.closed) return Promise.reject(new ClosedError(`The ${this.name} connection`));
    if (!this.connection) {
      const masked = maskBrokerUrl(this.url);
      const { holdsProcess = true, ...connectOptions } = this.options;
      const opening = connectBroker(this.url, { connectionName: this.name, ...connectOptions }).then((connection) => {
        if (!holdsProcess) releaseEventLoop(currentModel(connection));
        connection.on('error', (err: Error) => this.logger.debug(`Broker connection error (${this.name}): ${err.message}`));
        connection.on('disconnect', (err: Error) => {
          if (!this.closed) this.logger.warn(`Lost the broker connection (${this.name}) to ${masked}: ${err.message}. Reconnecting…`);
        });
        connection.on('connect', (model: unknown) => {
          if (!holdsProcess) releaseEventLoop(model);
          this.logger.warn(`Reconnected (${this.name}) to ${masked}.`);
          for (const listener of this.reconnectListeners) listener();
        });
        connection.on('reconnect-failed', (err: Error) => {
          const error = new BrokerError('BROKER_RECONNECT_FAILED', `Gave up reconnecting (${this.name}) to ${masked}: ${err.message}`);
          this.logger.error(error.message);
          for (const listener of this.failureListeners) listener(error);
        });
        return connection;
      });
      opening.catch(() => {
        if (this.connection === opening) this.connection = undefined;
      });
      this.connection = opening;
    }
    return this.connection;
  }

  /** Call `listener` after every successful reconnect (not the first connect). */
  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  /** Call `listener` when reconnecting was given up (after `reconnect.maxRetries`). */
  onFailure(listener: (error: Error) => void): void {
    this.failureListeners.push(listener);
  }

  /** True once a connection was opened or is opening. */
  get isOpen(): boolean {
    return this.connection !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = await this.connection?.catch(() => undefined);
    this.connection = undefined;
    await connection?.close().catch(() => undefined);
  }
}

/** amqplib's recovering connection keeps the live ChannelModel here (amqplib 2.x recovery.js). */
function currentModel(connection: RecoveringChannelModel): unknown {
  return (connection as unknown as { _core?: { _model?: unknown } })._core?._model;
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
