import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, createJsonSerializer, silentLogger, TaskFailedError, type TaskqApp } from '@taskq/core';
import { BROKER_URL, BrokerFixture } from '../../../../test/support/broker';
import { CeleryWorker, REDIS_BACKEND_URL, describeWithCelery, uniqueCeleryQueue, type EchoResult } from '../../../../test/celery/harness';

const SERIALIZERS = ['json', 'msgpack', 'yaml'] as const;

/** taskq producers calling tasks that a real Celery 5.2.6 worker runs. */
describeWithCelery('taskq → Celery', () => {
  const broker = new BrokerFixture();
  const apps: TaskqApp[] = [];
  const workers: CeleryWorker[] = [];

  function producer(options: Parameters<typeof createApp>[0] = {}): TaskqApp {
    const app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, ...options });
    apps.push(app);
    return app;
  }

  async function celery(options: Parameters<typeof CeleryWorker.start>[0]): Promise<CeleryWorker> {
    const worker = await CeleryWorker.start(options);
    workers.push(worker);
    return worker;
  }

  /** A queue for one test; Celery also declares an exchange of the same name. */
  function queue(prefix: string): string {
    const name = uniqueCeleryQueue(prefix);
    broker.queue(name);
    broker.exchange(name);
    return name;
  }

  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop();
    for (const app of apps.splice(0)) await app.close();
    await broker.cleanup();
  });

  describe.each(SERIALIZERS)('with %s', (serializer) => {
    it('runs a Python task (args and kwargs) and returns its result to get()', async () => {
      const q = queue(`t2c-${serializer}`);
      await celery({ queues: [q] });
      const app = producer();
      const byArgs = await app.sendTask<number>('py.add', [2, 3], { queue: q, serializer });
      const byKwargs = await app.sendTask<number>('py.add', [2], { queue: q, serializer, kwargs: { y: 40 } });
      await expect(byArgs.get({ timeout: 15_000 })).resolves.toBe(5);
      await expect(byKwargs.get({ timeout: 15_000 })).resolves.toBe(42);
    });

    it('rejects get() with the Python exception type, message and traceback', async () => {
      const q = queue(`t2c-fail-${serializer}`);
      await celery({ queues: [q] });
      const app = producer();
      const result = await app.sendTask('py.fail', ['card declined'], { queue: q, serializer });
      const error = (await result.get({ timeout: 15_000 }).catch((e: unknown) => e)) as TaskFailedError;
      expect(error).toBeInstanceOf(TaskFailedError);
      expect(error.excType).toBe('ValueError');
      expect(error.excModule).toBe('builtins');
      expect(error.message).toBe('ValueError: card declined');
      expect(error.remoteStack).toContain('Traceback');
    });

    it('honours countdown and eta (delayed in the broker) and priority / routing by exchange', async () => {
      const q = queue(`t2c-eta-${serializer}`);
      await celery({ queues: [q] });
      const app = producer();
      const sentAt = Date.now() / 1000;
      const countdown = await app.sendTask<number>('py.now', [], { queue: q, serializer, countdown: 2 });
      const eta = await app.sendTask<number>('py.now', [], { queue: q, serializer, eta: new Date(Date.now() + 2000) });
      // Celery's worker binds its queue to a direct exchange of the same name: route through it.
      const routed = await app.sendTask<number>('py.add', [1, 1], { exchange: q, routingKey: q, serializer, priority: 7 });
      await expect(routed.get({ timeout: 15_000 })).resolves.toBe(2);
      expect((await countdown.get({ timeout: 30_000 })) - sentAt).toBeGreaterThanOrEqual(1.9);
      expect((await eta.get({ timeout: 30_000 })) - sentAt).toBeGreaterThanOrEqual(1.9);
    });

    it('does not run an expired task: Celery revokes it and get() rejects as REVOKED', async () => {
      const q = queue(`t2c-exp-${serializer}`);
      await celery({ queues: [q] });
      const app = producer();
      const result = await app.sendTask('py.add', [1, 2], { queue: q, serializer, expires: new Date(Date.now() - 60_000) });
      await expect(result.get({ timeout: 15_000 })).rejects.toMatchObject({ code: 'TASK_REVOKED', state: 'REVOKED' });
    });

    it('a backlog in a taskq-declared queue runs in priority order on a Celery worker', async () => {
      const q = queue(`t2c-prio-${serializer}`);
      const dir = mkdtempSync(join(tmpdir(), 'taskq-order-'));
      const orderFile = join(dir, 'order.txt');
      try {
        const app = producer();
        const sends = [];
        for (const [label, priority] of [
          ['p1', 1],
          ['p0', 0],
          ['p9', 9],
          ['p5', 5],
          ['p10', 10],
        ] as const) {
          sends.push(await app.sendTask('py.sleep', [0, label], { queue: q, serializer, priority }));
        }
        await celery({ queues: [q], env: { TASKQ_TEST_ORDER_FILE: orderFile } });
        await Promise.all(sends.map((r) => r.get({ timeout: 20_000 })));
        expect(readFileSync(orderFile, 'utf8').trim().split('\n')).toEqual(['p10', 'p9', 'p5', 'p1', 'p0']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('delivers JavaScript values as these Python types (kombu 5.2.4)', async () => {
    const q = queue('t2c-types');
    await celery({ queues: [q] });
    const isoJson = createJsonSerializer({ dates: 'iso-string' });
    const app = producer();
    const legacyApp = producer({ serializers: [isoJson] }); // registers as 'json', replacing the default
    const when = new Date('2024-01-02T03:04:05.123Z');
    const bytes = Buffer.from([0, 1, 2, 255]);
    const typesOf = async (from: TaskqApp, serializer: string, args: unknown[]) =>
      (await (await from.sendTask<EchoResult>('py.echo', args, { queue: q, serializer })).get({ timeout: 15_000 })).types;

    expect(await typesOf(app, 'yaml', [when, bytes, 2 ** 40, 1.5, 'text', null, [1], { a: 1 }])).toEqual([
      'datetime',
      'bytes',
      'int',
      'float',
      'str',
      'NoneType',
      'list',
      'dict',
    ]);
    expect(await typesOf(app, 'msgpack', [when, bytes, 2 ** 40, 1.5])).toEqual(['Timestamp', 'bytes', 'int', 'float']);
    // kombu 5.2 predates JSON type tags: the tagged Date arrives as the tag dict (a datetime on kombu ≥ 5.3) …
    expect(await typesOf(app, 'json', [when, 2 ** 40, 1.5])).toEqual(['dict', 'int', 'float']);
    // … so for Celery 5.2 workers, dates as ISO strings.
    expect(await typesOf(legacyApp, 'json', [when])).toEqual(['str']);
  });

  it('reads results from Celery’s Redis backend', async () => {
    const q = queue('t2c-redis');
    await celery({ queues: [q], backend: REDIS_BACKEND_URL });
    const app = producer({ resultBackend: REDIS_BACKEND_URL });
    await expect((await app.sendTask('py.add', [20, 22], { queue: q })).get({ timeout: 15_000 })).resolves.toBe(42);
    const failed = await app.sendTask('py.fail', ['from redis'], { queue: q });
    await expect(failed.get({ timeout: 15_000 })).rejects.toMatchObject({ excType: 'ValueError', message: 'ValueError: from redis' });
  });
});
