import * as amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { connectMemoryBroker, isMemoryBrokerUrl } from '../../packages/core/src/transport/memory';

/** The broker every integration test talks to: the real RabbitMQ on this machine. */
export const BROKER_URL = process.env['TASKQ_BROKER_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A unique, recognisable name for a queue or exchange owned by one test. */
export function uniqueName(prefix: string): string {
  return `test.${prefix}.${randomUUID().slice(0, 8)}`;
}

/**
 * Raw amqplib access for tests: inspect and prepare broker state independently of taskq, and
 * delete everything the test registered when it ends.
 */
export class BrokerFixture {
  private connection: amqp.ChannelModel | undefined;
  private readonly queues = new Set<string>();
  private readonly exchanges = new Set<string>();

  async conn(): Promise<amqp.ChannelModel> {
    // The memory:// transport (the conformance run) offers the same channel API in process.
    this.connection ??= isMemoryBrokerUrl(BROKER_URL)
      ? ((await connectMemoryBroker(new URL(BROKER_URL))) as unknown as amqp.ChannelModel)
      : await amqp.connect(BROKER_URL);
    return this.connection;
  }

  /** Run `fn` on a fresh channel that is closed afterwards (channel errors do not leak). */
  async withChannel<T>(fn: (ch: amqp.Channel) => Promise<T>): Promise<T> {
    const channel = await (await this.conn()).createChannel();
    channel.on('error', () => undefined);
    try {
      return await fn(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** Remember a queue to delete at cleanup; returns its name. */
  queue(name: string): string {
    this.queues.add(name);
    return name;
  }

  exchange(name: string): string {
    this.exchanges.add(name);
    return name;
  }

  /** Fetch one message with basic.get (acked), or undefined when the queue is empty. */
  get(queue: string): Promise<amqp.GetMessage | false> {
    return this.withChannel((ch) => ch.get(queue, { noAck: true }));
  }

  /** Take every message off `queue` and count them by the value of one header (e.g. beat's `x-taskq-beat-slot`). */
  async countByHeader(queue: string, header: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (let message = await this.get(queue); message; message = await this.get(queue)) {
      const value = String(message.properties.headers?.[header]);
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    return counts;
  }

  /** Ready + unacked counts of a queue. */
  async counts(queue: string): Promise<{ messageCount: number; consumerCount: number }> {
    return this.withChannel((ch) => ch.checkQueue(queue));
  }

  async exists(queue: string): Promise<boolean> {
    return this.withChannel((ch) =>
      ch.checkQueue(queue).then(
        () => true,
        () => false,
      ),
    );
  }

  /** Wait until `predicate` holds, polling; fails the test with `what` after `timeoutMs`. */
  static async eventually(predicate: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await predicate()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${what}`);
  }

  async cleanup(): Promise<void> {
    for (const queue of this.queues) await this.withChannel((ch) => ch.deleteQueue(queue)).catch(() => undefined);
    for (const exchange of this.exchanges) await this.withChannel((ch) => ch.deleteExchange(exchange)).catch(() => undefined);
    this.queues.clear();
    this.exchanges.clear();
    await this.connection?.close().catch(() => undefined);
    this.connection = undefined;
  }
}
