import { TaskqError } from '../../../src/errors';
import { Router, emptyRoutingConfig, validateRoutingConfig, type RawRoutingDocument } from '../../../src/routing';

const queue = (file: string, data: unknown): RawRoutingDocument => ({ file, kind: 'queue', data });

/** A router over queue files given as `{ '/cfg/name.yaml': settings }`, in that order. */
function routerFor(files: Record<string, unknown>, defaults?: unknown): Router {
  const docs: RawRoutingDocument[] = Object.entries(files).map(([file, data]) => queue(file, data));
  if (defaults) docs.unshift({ file: '/cfg/_defaults.yaml', kind: 'defaults', data: defaults });
  return new Router(validateRoutingConfig(docs));
}

describe('Router.resolve: routing files', () => {
  const router = routerFor({
    '/cfg/a.yaml': { tasks: ['reports.*', 'tasks.add', 'x.[ab]'] },
    '/cfg/b.yaml': { exchange: 'work', tasks: ['reports.daily.*', 'tasks.*', 'x.?'] },
    '/cfg/c.yaml': { tasks: ['*.urgent', 'tasks.a*'] },
  });

  it('routes an exact task name to its queue, even when a more specific glob matches', () => {
    const route = router.resolve('tasks.add');
    expect(route).toMatchObject({ exchange: '', routingKey: 'a', matchedBy: 'task-exact', queue: { name: 'a' } });
    expect(route.reason).toBe("task 'tasks.add' is listed in queue 'a' in /cfg/a.yaml");
  });

  it('prefers the most specific glob', () => {
    expect(router.resolve('reports.daily.pdf')).toMatchObject({
      matchedBy: 'task-glob',
      queue: { name: 'b' },
      exchange: 'work',
      routingKey: 'b',
    });
    expect(router.resolve('reports.weekly')).toMatchObject({ queue: { name: 'a' } });
    expect(router.resolve('reports.weekly').reason).toBe("task 'reports.weekly' matches pattern 'reports.*' in /cfg/a.yaml");
    // 'tasks.*' (6 literals) loses to 'tasks.a*' (7 literals) although it comes from an earlier file.
    expect(router.resolve('tasks.abs')).toMatchObject({ queue: { name: 'c' } });
    expect(router.resolve('tasks.mul')).toMatchObject({ queue: { name: 'b' } });
  });

  it('breaks specificity ties by file order', () => {
    // 'x.[ab]' and 'x.?' both have 2 literal characters; a.yaml comes first.
    expect(router.resolve('x.a')).toMatchObject({ queue: { name: 'a' } });
    expect(router.resolve('x.c')).toMatchObject({ queue: { name: 'b' } });
  });

  it('breaks ties by sources order, not by queue list order, then by order within the file', () => {
    const config = validateRoutingConfig([
      queue('/cfg/first.yaml', { tasks: ['j.*x', 'j.x*'] }),
      queue('/cfg/second.yaml', { tasks: 'j.?x' }),
    ]);
    const reversed = new Router({ ...config, sources: ['/cfg/second.yaml', '/cfg/first.yaml'] });
    expect(reversed.resolve('j.xx')).toMatchObject({ queue: { name: 'second' } });
    const inOrder = new Router(config);
    expect(inOrder.resolve('j.xx').reason).toContain("pattern 'j.*x'");
  });

  it('sends anything else to the default queue', () => {
    const route = router.resolve('misc.job');
    expect(route).toEqual({
      exchange: '',
      routingKey: 'celery',
      queue: { name: 'celery', durable: true, autoDelete: false, maxPriority: 10, exchange: undefined, bindingKeys: [] },
      matchedBy: 'default-queue',
      reason:
        "task 'misc.job' matches no routing rule, so it goes to the default queue 'celery' (declared in no routing file; sent through the default exchange)",
    });
  });

  it('uses the configured route of the default queue when a file declares it', () => {
    const r = routerFor({ '/cfg/main.yaml': { exchange: 'jobs', bindingKeys: ['main.key'] } }, { defaultQueue: 'main' });
    const route = r.resolve('anything');
    expect(route).toMatchObject({
      exchange: 'jobs',
      routingKey: 'main.key',
      matchedBy: 'default-queue',
      exchangeDeclaration: { name: 'jobs', type: 'direct' },
    });
    expect(route.reason).toBe("task 'anything' matches no routing rule, so it goes to the default queue 'main' declared in /cfg/main.yaml");
  });

  it('caches and freezes resolutions without explicit options', () => {
    const first = router.resolve('reports.weekly');
    expect(router.resolve('reports.weekly', {})).toBe(first);
    expect(router.resolve('reports.weekly', { queue: undefined })).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    // Explicit options neither read nor pollute the cache.
    expect(router.resolve('reports.weekly', { queue: 'c' }).queue?.name).toBe('c');
    expect(router.resolve('reports.weekly').queue?.name).toBe('a');
  });
});

describe('Router.resolve: explicit options', () => {
  const router = routerFor({
    '/cfg/direct.yaml': { exchange: 'jobs', bindingKeys: ['direct.a', 'direct.b'], tasks: 'tasks.*' },
    '/cfg/topic.yaml': { exchange: 'events', exchangeType: 'topic', bindingKeys: ['reports.#'], routingKey: 'reports.all' },
    '/cfg/fan.yaml': { exchange: 'broadcast', exchangeType: 'fanout' },
    '/cfg/plain.yaml': { maxPriority: 0 },
  });

  it('routes an explicit configured queue through its own exchange and key', () => {
    const route = router.resolve('tasks.add', { queue: 'topic' });
    expect(route).toMatchObject({
      exchange: 'events',
      routingKey: 'reports.all',
      matchedBy: 'explicit-queue',
      exchangeDeclaration: { name: 'events', type: 'topic', durable: true },
      queue: { name: 'topic' },
    });
    expect(route.reason).toBe("explicit queue 'topic' as declared in /cfg/topic.yaml");
  });

  it('lets an explicit routingKey override the queue routing key', () => {
    expect(router.resolve('t', { queue: 'direct', routingKey: 'direct.b' })).toMatchObject({
      exchange: 'jobs',
      routingKey: 'direct.b',
      queue: { name: 'direct' },
    });
  });

  it('sends to an unconfigured explicit queue through the default exchange', () => {
    const route = router.resolve('tasks.add', { queue: 'adhoc' });
    expect(route).toEqual({
      exchange: '',
      routingKey: 'adhoc',
      queue: { name: 'adhoc', durable: true, autoDelete: false, maxPriority: 10, exchange: undefined, bindingKeys: [] },
      reason: "explicit queue 'adhoc', declared in no routing file, so sent through the default exchange",
      matchedBy: 'explicit-queue',
    });
  });

  it('refuses a routing key that cannot reach the explicit queue on the default exchange', () => {
    expect(() => router.resolve('t', { queue: 'plain', routingKey: 'other' })).toThrow(TaskqError);
    expect(() => router.resolve('t', { queue: 'adhoc', routingKey: 'other' })).toThrow(/cannot reach queue 'adhoc'/);
    expect(() => router.resolve('t', { queue: '' })).toThrow(expect.objectContaining({ code: 'ROUTE_INVALID' }));
    expect(router.resolve('t', { queue: 'adhoc', routingKey: 'adhoc' }).routingKey).toBe('adhoc');
  });

  it('publishes to an explicit exchange as given and finds the configured queue bound to it', () => {
    const direct = router.resolve('t', { exchange: 'jobs', routingKey: 'direct.b' });
    expect(direct).toMatchObject({
      exchange: 'jobs',
      routingKey: 'direct.b',
      matchedBy: 'explicit-exchange',
      queue: { name: 'direct' },
      exchangeDeclaration: { name: 'jobs' },
    });
    expect(direct.reason).toBe("explicit exchange 'jobs' with routing key 'direct.b' reaches queue 'direct' declared in /cfg/direct.yaml");

    expect(router.resolve('t', { exchange: 'events', routingKey: 'reports.daily.pdf' }).queue?.name).toBe('topic');
    expect(router.resolve('t', { exchange: 'broadcast', routingKey: 'anything' }).queue?.name).toBe('fan');
  });

  it('leaves the queue unset when nothing configured is bound with that key', () => {
    const route = router.resolve('t', { exchange: 'jobs', routingKey: 'direct.c' });
    expect(route.queue).toBeUndefined();
    expect(route.exchangeDeclaration).toEqual({ name: 'jobs', type: 'direct', durable: true });
    expect(route.reason).toBe(
      "explicit exchange 'jobs' with routing key 'direct.c'; no queue in the routing files is bound to it with that key",
    );
    const unknown = router.resolve('t', { exchange: 'elsewhere', routingKey: 'k' });
    expect(unknown.exchangeDeclaration).toBeUndefined();
    expect(unknown.queue).toBeUndefined();
    expect(router.resolve('t', { exchange: 'events', routingKey: 'other.x' }).queue).toBeUndefined();
  });

  it('treats a routing key alone as the default exchange, reaching the queue of that name', () => {
    const route = router.resolve('t', { routingKey: 'plain' });
    expect(route).toMatchObject({
      exchange: '',
      routingKey: 'plain',
      matchedBy: 'explicit-exchange',
      queue: { name: 'plain', maxPriority: undefined },
    });
    expect(route.reason).toBe("routing key 'plain' on the default exchange reaches queue 'plain' declared in /cfg/plain.yaml");
  });

  it("takes a missing routing key from the task's own route, as Celery does", () => {
    expect(router.resolve('tasks.add', { exchange: 'jobs' })).toMatchObject({ routingKey: 'direct.a', queue: { name: 'direct' } });
    expect(router.resolve('misc', { exchange: 'broadcast' })).toMatchObject({ routingKey: 'celery', queue: { name: 'fan' } });
  });
});

describe('Router.queue and queuesBoundTo', () => {
  it('returns configured declarations, and defaults for unconfigured names', () => {
    const router = routerFor({ '/cfg/q.yaml': { maxPriority: 3, messageTtl: 1000 } }, { durable: false, maxPriority: 0 });
    expect(router.queue('q')).toMatchObject({ name: 'q', maxPriority: 3, messageTtl: 1000, durable: false });
    expect(router.queue('other')).toEqual({
      name: 'other',
      durable: false,
      autoDelete: false,
      maxPriority: undefined,
      exchange: undefined,
      bindingKeys: [],
    });
  });

  it('lists the queues bound to an exchange', () => {
    const router = routerFor({ '/cfg/a.yaml': { exchange: 'dlx' }, '/cfg/b.yaml': {}, '/cfg/c.yaml': { exchange: 'dlx' } });
    expect(router.queuesBoundTo('dlx').map((q) => q.name)).toEqual(['a', 'c']);
    expect(router.queuesBoundTo('none')).toEqual([]);
    expect(router.queuesBoundTo('')).toEqual([]);
  });

  it('works over an empty routing config', () => {
    const router = new Router(emptyRoutingConfig({ defaultQueue: 'main', maxPriority: 0 }));
    expect(router.resolve('x')).toMatchObject({
      routingKey: 'main',
      queue: { name: 'main', maxPriority: undefined },
      matchedBy: 'default-queue',
    });
    expect(router.config.queues).toEqual([]);
  });
});
