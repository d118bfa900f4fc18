import type { Channel } from 'amqplib';
import type { ChannelSource } from './channel-source';
import { DELIVERY_EXCHANGE, deliveryBindingKey, type LadderKind, ladderLevels, levelQueueArguments } from './delay-ladder';

/**
 * Declares the delay ladders (each once per connection, when a target of its kind first needs it)
 * and binds target queues to the delivery exchange. Ladder objects are durable and shared by every
 * taskq app on the vhost; declaring them is idempotent because their arguments never change.
 */
export class DelayedDelivery {
  private readonly ladders = new Map<LadderKind, Promise<void>>();
  private readonly boundQueues = new Map<string, Promise<void>>();
  private readonly readyQueues = new Set<string>();
  private readonly readyLadders = new Set<LadderKind>();

  /** `connection` is one generation's (see BrokerTransport): these caches live and die with it. */
  constructor(private readonly connection: ChannelSource) {}

  /** Make sure the ladder of `kind` exists and `queue` receives messages leaving it. */
  async ensureTarget(queue: string, kind: LadderKind = 'classic'): Promise<void> {
    await this.ensureLadder(kind);
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

  /** True when `queue` is already bound and its ladder of `kind` declared (hot-path check, no await). */
  isTargetReady(queue: string, kind: LadderKind = 'classic'): boolean {
    return this.readyQueues.has(queue) && this.readyLadders.has(kind);
  }

  private ensureLadder(kind: LadderKind): Promise<void> {
    let ladder = this.ladders.get(kind);
    if (!ladder) {
      const declaring = this.withChannel(async (ch) => {
        await ch.assertExchange(DELIVERY_EXCHANGE, 'topic', { durable: true });
        const levels = ladderLevels(kind);
        for (const level of levels) await ch.assertExchange(level.name, 'topic', { durable: true });
        for (const level of levels) {
          await ch.assertQueue(level.name, { durable: true, arguments: levelQueueArguments(level, kind) });
          await ch.bindQueue(level.name, level.name, level.waitKey);
          await ch.bindExchange(level.next, level.name, level.passKey);
        }
      });
      declaring.then(
        () => this.readyLadders.add(kind),
        () => {
          if (this.ladders.get(kind) === declaring) this.ladders.delete(kind);
        },
      );
      ladder = declaring;
      this.ladders.set(kind, ladder);
    }
    return ladder;
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
