import { Producer } from '../../../src/producer';
import type { QueueDeclaration } from '../../../src/routing';
import { createSerializerRegistry } from '../../../src/serialization';
import type { Transport } from '../../../src/transport';
import { bandRouter as router } from '../routing/band-fixtures';

describe('Producer: publishing to priority bands', () => {
  function producerWith(ready: boolean) {
    const published: Array<{ exchange: string; routingKey: string; priority: number | undefined }> = [];
    const ensured: string[] = [];
    const delayTargets: string[] = [];
    const transport = {
      isQueueReady: () => ready,
      ensureQueue: (queue: QueueDeclaration) => {
        ensured.push(queue.name);
        return Promise.resolve();
      },
      ensureExchange: () => Promise.resolve(),
      isDelayTargetReady: () => false,
      ensureDelayTarget: (queue: string) => {
        delayTargets.push(queue);
        return Promise.resolve();
      },
      publish: (exchange: string, routingKey: string, _content: Buffer, options: { priority?: number }, value?: unknown) => {
        published.push({ exchange, routingKey, priority: options.priority });
        return Promise.resolve(value);
      },
    } as unknown as Transport;
    const producer = new Producer({ router, serializers: createSerializerRegistry(), transport, results: undefined, sendTimeoutMs: 5000 });
    return { producer, published, ensured, delayTargets };
  }

  it('publishes each priority to its band, the lowest band through the queue exchange', async () => {
    const { producer, published } = producerWith(true);
    for (const priority of [undefined, 0, 5, 9])
      await producer.send('orders.pay', [], { ignoreResult: true, ...(priority !== undefined && { priority }) });
    await producer.send('classic.x', [], { ignoreResult: true, priority: 9 });
    expect(published).toEqual([
      { exchange: 'shop', routingKey: 'orders', priority: undefined },
      { exchange: 'shop', routingKey: 'orders', priority: 0 },
      { exchange: '', routingKey: 'orders.p4-6', priority: 5 },
      { exchange: '', routingKey: 'orders.p7-9', priority: 9 },
      { exchange: '', routingKey: 'classic', priority: 9 },
    ]);
  });

  it("declares the band's queue first, and sends a delayed message to the band queue's delay target", async () => {
    const { producer, published, ensured, delayTargets } = producerWith(false);
    await producer.send('orders.pay', [], { ignoreResult: true, priority: 8 });
    await producer.send('orders.pay', [], { ignoreResult: true, priority: 5, countdown: 60 });
    expect(ensured).toEqual(['orders.p7-9', 'orders.p4-6']);
    expect(delayTargets).toEqual(['orders.p4-6']);
    expect(published[0]).toEqual({ exchange: '', routingKey: 'orders.p7-9', priority: 8 });
    expect(published[1]?.routingKey).toMatch(/orders\.p4-6$/);
  });
});
