import type { ChannelModel } from 'amqplib';
import { ClosedError } from '../errors';
import type { Logger } from '../logger';
import { maskBrokerUrl } from './broker-url';
import { connectBroker } from './connect';

/**
 * One AMQP connection, opened on first use and shared by the channels of one role (producer or
 * worker). Separate roles get separate connections, as RabbitMQ advises: flow control that
 * blocks a publishing connection must not stall a consumer's acks.
 */
export class LazyConnection {
  private connection: Promise<ChannelModel> | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly name: string,
    private readonly logger: Logger,
  ) {}

  /** The open connection (opening it if needed). */
  get(): Promise<ChannelModel> {
    if (this.closed) return Promise.reject(new ClosedError(`The ${this.name} connection`));
    if (!this.connection) {
      const opening = connectBroker(this.url, { connectionName: this.name }).then((connection) => {
        connection.on('error', (err: Error) => this.logger.error(`Broker connection error (${this.name}): ${err.message}`));
        connection.on('close', () => {
          if (this.connection === opening) this.connection = undefined;
          if (!this.closed) this.logger.warn(`Broker connection (${this.name}) to ${maskBrokerUrl(this.url)} closed.`);
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
