import { pickPriorityBand } from '../../../src/routing';
import { bandRouter as router, routerFor } from './band-fixtures';

describe('Router: priority bands', () => {
  it('carries the band targets on the resolved route: the lowest through the exchange, the others by name', () => {
    const route = router.resolve('orders.pay');
    expect(route.bands?.map(({ min, max, exchange, routingKey, queue }) => [min, max, exchange, routingKey, queue.name])).toEqual([
      [0, 3, 'shop', 'orders', 'orders'],
      [4, 6, '', 'orders.p4-6', 'orders.p4-6'],
      [7, 9, '', 'orders.p7-9', 'orders.p7-9'],
    ]);
    expect(router.resolve('plain.x').bands).toBeUndefined();
    expect(router.resolve('classic.x').bands).toBeUndefined();
    expect(router.resolve('x', { queue: 'orders' }).bands?.map((b) => b.queue.name)).toEqual(['orders', 'orders.p4-6', 'orders.p7-9']);
  });

  it.each([
    [undefined, 'orders'],
    [0, 'orders'],
    [3, 'orders'],
    [4, 'orders.p4-6'],
    [6, 'orders.p4-6'],
    [7, 'orders.p7-9'],
    [9, 'orders.p7-9'],
    [255, 'orders.p7-9'],
  ])('pickPriorityBand: priority %p goes to %s', (priority, queue) => {
    expect(pickPriorityBand(router.resolve('orders.pay'), priority).queue?.name).toBe(queue);
  });

  it('pickPriorityBand returns a route without bands itself (nothing allocated)', () => {
    const route = router.resolve('classic.x');
    expect(pickPriorityBand(route, 9)).toBe(route);
    const banded = router.resolve('orders.pay');
    expect(pickPriorityBand(banded, 8)).toBe(pickPriorityBand(banded, 9));
  });

  it('consumeQueues lists the band queues highest first, or the queue itself', () => {
    expect(router.consumeQueues('orders').map((q) => q.name)).toEqual(['orders.p7-9', 'orders.p4-6', 'orders']);
    expect(router.consumeQueues('plain').map((q) => q.name)).toEqual(['plain']);
    expect(router.consumeQueues('elsewhere')).toEqual([router.queue('elsewhere')]);
  });

  it('knows band queues by name (a worker consuming one finds its settings)', () => {
    expect(router.queue('orders.p7-9')).toMatchObject({ queueType: 'quorum', deliveryLimit: 20, exchange: undefined });
    expect(router.resolve('x', { queue: 'orders.p7-9' })).toMatchObject({ exchange: '', routingKey: 'orders.p7-9' });
  });

  it('declares unconfigured queues and the dead-letter queue with the default queue type', () => {
    const quorum = routerFor({}, { queueType: 'quorum', deliveryLimit: 4 });
    expect(quorum.queue('celery')).toEqual({
      name: 'celery',
      durable: true,
      autoDelete: false,
      maxPriority: undefined,
      queueType: 'quorum',
      deliveryLimit: 4,
      exchange: undefined,
      bindingKeys: [],
    });
    expect(quorum.deadLetterQueue('taskq.dead')).toEqual({
      name: 'taskq.dead',
      durable: true,
      autoDelete: false,
      maxPriority: undefined,
      queueType: 'quorum',
      exchange: undefined,
      bindingKeys: [],
    });
    expect(routerFor({}).deadLetterQueue('taskq.dead')).not.toHaveProperty('queueType');
    expect(routerFor({}).queue('celery').maxPriority).toBe(10);
  });
});
