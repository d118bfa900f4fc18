import type { RecoveringChannelModel } from 'amqplib';
import { BrokerError, ClosedError } from '../errors';
import type { Logger } from '../logger';
import { maskBrokerUrl } from './broker-url';
import type { ChannelSource } from './channel-source';
import { connectBroker, type ConnectOptions } from './connect';

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
    private readonly options: Omit<ConnectOptions, 'connectionName'> = {},
  ) {}

  /** The connection (opening it if needed). During an outage its channel requests wait. */
  get(): Promise<ChannelSource> {
    if (this.closed) return Promise.reject(new ClosedError(`The ${this.name} connection`));
    if (!this.connection) {
      const masked = maskBrokerUrl(this.url);
      const opening = connectBroker(this.url, { connectionName: this.name, ...this.options }).then((connection) => {
        connection.on('error', (err: Error) => this.logger.debug(`Broker connection error (${this.name}): ${err.message}`));
        connection.on('disconnect', (err: Error) => {
          if (!this.closed) this.logger.warn(`Lost the broker connection (${this.name}) to ${masked}: ${err.message}. Reconnecting…`);
        });
        connection.on('connect', () => {
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
