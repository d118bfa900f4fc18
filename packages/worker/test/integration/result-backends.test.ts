import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { createApp, silentLogger, type TaskqApp } from '@taskq/core';
import { Worker } from '../../src';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';

const REDIS_URL = 'redis://127.0.0.1:6379/0';

describe('result backends end to end', () => {
  const broker = new BrokerFixture();
  const cleanups: Array<() => Promise<void>> = [];
  const redis = new Redis(REDIS_URL, { lazyConnect: true });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await broker.cleanup();
  });
  afterAll(() => redis.quit());

  async function system(resultBackend: string, define: (app: TaskqApp) => void): Promise<{ producer: TaskqApp; queue: string }> {
    const queue = broker.queue(uniqueName('rb'));
    const consumer = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, resultBackend, defaults: { defaultQueue: queue } });
    define(consumer);
    const worker = new Worker(consumer, { queues: [queue], concurrency: 2 });
    const producer = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, resultBackend, defaults: { defaultQueue: queue } });
    cleanups.push(async () => {
      await worker.stop();
      await consumer.close();
      await producer.close();
    });
    await worker.start();
    return { producer, queue };
  }

  it('stores results in Redis under Celery’s key with an expiry, and get() reads them', async () => {
    const { producer } = await system(REDIS_URL, (app) => {
      app.task('tasks.mul', (x: number, y: number) => x * y);
      app.task('tasks.bad', () => {
        throw new TypeError('no multiplication today');
      });
    });
    const id = randomUUID();
    const result = await producer.sendTask('tasks.mul', [6, 7], { taskId: id });
    await expect(result.get({ timeout: 10_000 })).resolves.toBe(42);
    const stored = JSON.parse((await redis.get(`celery-task-meta-${id}`)) ?? 'null');
    expect(stored).toMatchObject({ task_id: id, status: 'SUCCESS', result: 42 });
    const ttl = await redis.ttl(`celery-task-meta-${id}`);
    expect(ttl).toBeGreaterThan(86_000);
    expect(ttl).toBeLessThanOrEqual(86_400);

    const failed = await producer.sendTask('tasks.bad', []);
    await expect(failed.get({ timeout: 10_000 })).rejects.toMatchObject({
      excType: 'TypeError',
      message: 'TypeError: no multiplication today',
    });
    await redis.del(`celery-task-meta-${id}`, `celery-task-meta-${failed.id}`);
  });

  it('with results disabled, sends no reply_to and get() refuses at once', async () => {
    const { producer } = await system('disabled', () => undefined);
    const idle = broker.queue(uniqueName('nobody-consumes'));
    const result = await producer.sendTask('tasks.none', [], { queue: idle });
    await expect(result.get()).rejects.toMatchObject({ code: 'RESULT_IGNORED' });
    const message = await broker.get(idle);
    expect(message?.properties.replyTo).toBeUndefined();
  });

  it('refuses an unknown result backend with a clear message', () => {
    expect(() => createApp({ resultBackend: 'mongodb://x' })).toThrow(/Unknown result backend 'mongodb:\/\/x': use 'rpc:\/\/'/);
  });
});
