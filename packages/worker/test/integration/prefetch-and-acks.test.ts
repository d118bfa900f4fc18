import { createApp, silentLogger, type TaskqApp } from '@taskq/core';
import { Worker, type WorkerOptions } from '../../src';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';

/** Batched acks and prefetchMultiplier, against the real broker. */
describe('worker prefetch and ack batching', () => {
  const broker = new BrokerFixture();
  const cleanups: Array<() => Promise<void>> = [];

  function appOn(queue: string): TaskqApp {
    const app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, resultBackend: 'disabled', defaults: { defaultQueue: queue } });
    cleanups.push(() => app.close());
    return app;
  }

  function workerFor(app: TaskqApp, queue: string, options: WorkerOptions): Worker {
    const worker = new Worker(app, { queues: [queue], drainTimeoutMs: 5000, ...options });
    cleanups.unshift(() => worker.stop());
    return worker;
  }

  async function send(app: TaskqApp, name: string, count: number, args: unknown[] = []): Promise<void> {
    await Promise.all(Array.from({ length: count }, () => app.sendTask(name, args, { ignoreResult: true })));
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await broker.cleanup();
  });

  it('acks every one of a burst of synchronous tasks: nothing comes back after the worker stops', async () => {
    const queue = broker.queue(uniqueName('acks'));
    const app = appOn(queue);
    const ran = new Map<string, number>();
    app.task('acks.sync', (n: number) => ran.set(String(n), (ran.get(String(n)) ?? 0) + 1) && null);
    await Promise.all(Array.from({ length: 2000 }, (_, i) => app.sendTask('acks.sync', [i], { ignoreResult: true })));
    const worker = workerFor(app, queue, { concurrency: 2, prefetchMultiplier: 10 });
    await worker.start();
    await BrokerFixture.eventually(() => ran.size === 2000, 'all 2000 tasks to run', 30_000);
    await worker.stop();
    // An ack that never reached the broker would put its message back in the queue when the channel closed.
    expect((await broker.counts(queue)).messageCount).toBe(0);
    expect([...ran.values()].every((times) => times === 1)).toBe(true);
  });

  it('never runs more than `concurrency` at once, however many are prefetched', async () => {
    const queue = broker.queue(uniqueName('prefetch'));
    const app = appOn(queue);
    let running = 0;
    let peak = 0;
    let done = 0;
    app.task('prefetch.slow', async () => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      done++;
    });
    await send(app, 'prefetch.slow', 40);
    const worker = workerFor(app, queue, { concurrency: 2, prefetchMultiplier: 5 });
    expect(worker.prefetch).toBe(10);
    await worker.start();
    await BrokerFixture.eventually(() => done === 40, 'all 40 tasks to finish', 20_000);
    expect(peak).toBe(2);
  });

  it('does not let a long task hold back the acks (and so the prefetch window) of short ones', async () => {
    const queue = broker.queue(uniqueName('long-short'));
    const app = appOn(queue);
    let release!: () => void;
    const longDone = new Promise<void>((resolve) => (release = resolve));
    let shortDone = 0;
    app.task('mix.long', () => longDone.then(() => 'long'));
    app.task('mix.short', () => ++shortDone);
    await app.sendTask('mix.long', [], { ignoreResult: true });
    await send(app, 'mix.short', 200);
    // Prefetch 2: one slot is held by the long task; if short acks waited for it, this would stall after one.
    const worker = workerFor(app, queue, { concurrency: 2 });
    await worker.start();
    await BrokerFixture.eventually(() => shortDone === 200, 'the 200 short tasks to run beside the long one', 20_000);
    expect(worker.running).toBe(1);
    release();
    await BrokerFixture.eventually(() => worker.running === 0, 'the long task to finish');
  });

  it('on stop, puts prefetched tasks that have not started back in the queue at once', async () => {
    const queue = broker.queue(uniqueName('stop-waiting'));
    const app = appOn(queue);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    app.task('stop.blocked', async () => {
      started++;
      await gate;
    });
    await send(app, 'stop.blocked', 10);
    const worker = workerFor(app, queue, { concurrency: 2, prefetchMultiplier: 4 });
    await worker.start();
    await BrokerFixture.eventually(() => started === 2, 'two tasks to start');
    const stopping = worker.stop();
    // The 6 prefetched-but-waiting ones are requeued while the 2 running ones are still running.
    await BrokerFixture.eventually(async () => (await broker.counts(queue)).messageCount === 8, '8 messages back in the queue');
    expect(started).toBe(2);
    release();
    await stopping;
    expect((await broker.counts(queue)).messageCount).toBe(8);
  });

  it('validates prefetchMultiplier', () => {
    const app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger });
    expect(() => new Worker(app, { prefetchMultiplier: 0 })).toThrow(/prefetchMultiplier must be a whole number ≥ 1, found 0/);
    expect(() => new Worker(app, { prefetchMultiplier: 1.5 })).toThrow(/prefetchMultiplier must be a whole number/);
    expect(() => new Worker(app, { concurrency: 1000, prefetchMultiplier: 100 })).toThrow(/over AMQP's prefetch limit of 65535/);
    expect(new Worker(app, { concurrency: 3 }).prefetch).toBe(3);
  });
});
