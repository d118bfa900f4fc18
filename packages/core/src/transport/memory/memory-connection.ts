import { EventEmitter } from 'node:events';
import { IllegalOperationError } from './amqp-errors';
import type { MemoryBroker } from './memory-broker';
import { MemoryChannel } from './memory-channel';

/**
 * A connection to a {@link MemoryBroker}, standing in for amqplib's recovering channel model:
 * channels on demand, and `close()`, which closes its channels (their unacked deliveries go back
 * to the queues) and deletes its exclusive queues. It never drops, so the recovery events
 * ('disconnect', 'connect', 'reconnect-failed') are never emitted; 'close' is.
 */
export class MemoryConnection extends EventEmitter {
  private readonly channels = new Set<MemoryChannel>();
  private closed = false;

  constructor(private readonly broker: MemoryBroker) {
    super();
  }

  createChannel(): Promise<MemoryChannel> {
    return this.open(false);
  }

  createConfirmChannel(): Promise<MemoryChannel> {
    return this.open(true);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.reject(new IllegalOperationError('Connection closed'));
    this.closed = true;
    for (const channel of [...this.channels]) channel.connectionClosed();
    this.broker.connectionClosed(this);
    return new Promise((resolve) =>
      setImmediate(() => {
        this.emit('close');
        resolve();
      }),
    );
  }

  private open(confirm: boolean): Promise<MemoryChannel> {
    if (this.closed) return Promise.reject(new IllegalOperationError('Connection closed'));
    const channel = new MemoryChannel(this.broker, this, confirm, (closed) => this.channels.delete(closed));
    this.channels.add(channel);
    return Promise.resolve(channel);
  }
}
