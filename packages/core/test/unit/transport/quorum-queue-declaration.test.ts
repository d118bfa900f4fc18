import type { Channel } from 'amqplib';
import { silentLogger } from '../../../src';
import type { QueueDeclaration } from '../../../src/routing';
import { replyQueueOptions, toAssertQueueOptions } from '../../../src/transport';
import type { ChannelSource } from '../../../src/transport/channel-source';
import { Topology } from '../../../src/transport/topology';
import { bandRouter as router, routerFor } from '../routing/band-fixtures';

describe('toAssertQueueOptions', () => {
  const quorum: QueueDeclaration = {
    name: 'orders',
    durable: true,
    autoDelete: false,
    maxPriority: 9,
    queueType: 'quorum',
    deliveryLimit: 20,
    initialGroupSize: 3,
    messageTtl: 1000,
    exchange: undefined,
    bindingKeys: [],
  };

  it('declares a quorum queue without x-max-priority, dead-lettering at least once to the app dead-letter queue', () => {
    expect(toAssertQueueOptions(quorum, 'taskq.dead')).toEqual({
      durable: true,
      autoDelete: false,
      arguments: {
        'x-queue-type': 'quorum',
        'x-message-ttl': 1000,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'taskq.dead',
        'x-delivery-limit': 20,
        'x-quorum-initial-group-size': 3,
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      },
    });
  });

  it("uses the queue's own deadLetter target, and none for the dead-letter queue itself", () => {
    const own = toAssertQueueOptions({ ...quorum, deadLetter: { exchange: 'dlx' } }, 'taskq.dead').arguments;
    expect(own).toMatchObject({ 'x-dead-letter-exchange': 'dlx', 'x-dead-letter-strategy': 'at-least-once' });
    expect(own).not.toHaveProperty('x-dead-letter-routing-key');
    const dead = toAssertQueueOptions({ ...quorum, name: 'taskq.dead', deliveryLimit: undefined }, 'taskq.dead').arguments;
    expect(dead).toEqual({ 'x-queue-type': 'quorum', 'x-message-ttl': 1000, 'x-quorum-initial-group-size': 3 });
  });

  it('leaves classic queues as they were', () => {
    const classic: QueueDeclaration = {
      name: 'c',
      durable: true,
      autoDelete: false,
      maxPriority: 10,
      exchange: undefined,
      bindingKeys: [],
    };
    expect(toAssertQueueOptions(classic, 'taskq.dead').arguments).toEqual({ 'x-max-priority': 10 });
  });
});

describe('Topology: the dead-letter queue of quorum queues', () => {
  it('declares the app dead-letter queue before a quorum queue without deadLetter, once', async () => {
    const calls: string[] = [];
    const channel = {
      on: () => channel,
      close: () => Promise.resolve(),
      checkQueue: (name: string) => {
        calls.push(`check ${name}`);
        return Promise.reject(Object.assign(new Error('NOT_FOUND'), { code: 404 }));
      },
      assertQueue: (name: string, options: { arguments: Record<string, unknown> }) => {
        calls.push(`declare ${name} ${String(options.arguments['x-queue-type'] ?? 'classic')}`);
        return Promise.resolve({ queue: name, messageCount: 0, consumerCount: 0 });
      },
    };
    const source: ChannelSource = {
      createChannel: () => Promise.resolve(channel as unknown as Channel),
      createConfirmChannel: () => Promise.reject(new Error('not used')),
    };
    const dead = routerFor({}, { queueType: 'quorum' }).deadLetterQueue('taskq.dead');
    const topology = new Topology(source, silentLogger, () => [], dead);
    const [low, mid] = router.consumeQueues('plain').concat(router.consumeQueues('orders').slice(1));
    await topology.ensureQueue(low!);
    await topology.ensureQueue(mid!);
    expect(calls).toEqual([
      'check taskq.dead',
      'declare taskq.dead quorum',
      'check plain',
      'declare plain quorum',
      'check orders.p4-6',
      'declare orders.p4-6 quorum',
    ]);
  });
});

describe('replyQueueOptions', () => {
  it('makes the rpc reply queue a quorum queue for an app of quorum queues (durable, expiring), else transient', () => {
    expect(replyQueueOptions(600_000, 'quorum')).toEqual({
      durable: true,
      autoDelete: false,
      exclusive: false,
      arguments: { 'x-expires': 600_000, 'x-queue-type': 'quorum' },
    });
    expect(replyQueueOptions(600_000)).toEqual({
      durable: false,
      autoDelete: false,
      exclusive: false,
      arguments: { 'x-expires': 600_000 },
    });
  });
});
