import type { Channel } from 'amqplib';
import type { ChannelSource } from './channel-source';
import { DELIVERY_EXCHANGE, deliveryBindingKey, ladderLevels } from './delay-ladder';

/**
 * Declares the delay ladder (once per connection) and binds target queues to its delivery
 * exchange. Ladder objects are durable and shared by every taskq app on the vhost; declaring
 * them is idempotent because their arguments never change.
 */
export class DelayedDelivery {
  private ladder: Promise<void> | undefined;
  private readonly boundQueues = new Map<string, Promise<void>>();
  private readonly readyQueues = new Set<string>();

  /** `connection` is one generation's (see BrokerTransport): these caches live and die with it. */
  constructor(private readonly connection: ChannelSource) {}

  /** Make sure the ladder exists and `queue` receives messages leaving it. */
  async ensureTarget(queue: string): Promise<void> {
    await this.ensureLadder();
    let binding = this.boundQueues.get(queue);
    if (!binding) {
      binding = this.withChannel((ch) => ch.bindQueue(queue, DELIVERY_EXCHANGE, deliveryBindingKey(queue)).then(() => undefined));
      this.boundQueues.set(queue, binding);
      binding.then(
        () => this.readyQueues.add(queue),
        () => this.boundQueues.delete(queue),
      );
    }
    await binding;
  }

  /** True when `queue` is already bound (hot-path check, no await). */
  isTargetReady(queue: string): boolean {
    return this.readyQueues.has(queue);
  }

  private ensureLadder(): Promise<void> {
    if (!this.ladder) {
      const declaring = this.withChannel(async (ch) => {
        await ch.assertExchange(DELIVERY_EXCHANGE, 'topic', { durable: true });
        const levels = ladderLevels();
        for (const level of levels) await ch.assertExchange(level.name, 'topic', { durable: true });
        for (const level of levels) {
          await ch.assertQueue(level.name, {
            durable: true,
            arguments: { 'x-message-ttl': level.ttlMs, 'x-dead-letter-exchange': level.next },
          });
          await ch.bindQueue(level.name, level.name, level.waitKey);
          await ch.bindExchange(level.next, level.name, level.passKey);
        }
      });
      declaring.catch(() => {
        if (this.ladder === declaring) this.ladder = undefined;
      });
      this.ladder = declaring;
    }
    return this.ladder;
  }

  private async withChannel<T>(operation: (ch: Channel) => Promise<T>): Promise<T> {
    const channel = await this.connection.createChannel();
    channel.on('error', () => undefined); // the failed operation's promise carries the error
    try {
      return await operation(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }
}
