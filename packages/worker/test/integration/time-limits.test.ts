import { createApp, currentTask, silentLogger, TaskFailedError, type TaskqApp, type TaskRequest } from '@taskq/core';
import { Worker } from '../../src';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';

/** A handler that ends only when its signal aborts, failing with the abort reason (cooperative). */
function untilAborted(): Promise<never> {
  const { signal } = currentTask();
  return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
}

const never = (): Promise<never> => new Promise(() => undefined);

describe('time limits against the real broker', () => {
  const broker = new BrokerFixture();
  const cleanups: Array<() => Promise<void>> = [];

  async function setup(
    define: (app: TaskqApp) => void,
    options: { concurrency?: number; start?: boolean; timeLimit?: number; softTimeLimit?: number } = {},
  ): Promise<{ app: TaskqApp; worker: Worker; queue: string }> {
    const { start, concurrency, ...limits } = options;
    const queue = broker.queue(uniqueName('tl'));
    const app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, defaults: { defaultQueue: queue } });
    define(app);
    const worker = new Worker(app, { queues: [queue], concurrency: concurrency ?? 1, drainTimeoutMs: 2000, ...limits });
    cleanups.push(async () => {
      await worker.stop();
      await app.close();
    });
    if (start !== false) await worker.start();
    return { app, worker, queue };
  }

  async function failure(promise: Promise<unknown>): Promise<TaskFailedError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TaskFailedError);
    return error as TaskFailedError;
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await broker.cleanup();
  });

  it('aborts the signal at the soft limit; the cooperative failure reaches get() as SoftTimeLimitExceeded', async () => {
    const { app } = await setup((app) => {
      app.task('tl.cooperative', untilAborted, { softTimeLimit: 0.3 });
    });
    const started = Date.now();
    const error = await failure((await app.sendTask('tl.cooperative', [])).get({ timeout: 10_000 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(error.excType).toBe('SoftTimeLimitExceeded');
    expect(error.message).toContain('exceeded its soft time limit of 0.3 s');
    expect(error.state).toBe('FAILURE');
  });

  it('fails a never-settling handler at the hard limit, frees its slot and acks it', async () => {
    const { app, worker, queue } = await setup(
      (app) => {
        app.task('tl.hang', never, { timeLimit: 0.4 });
        app.task('tl.ok', () => 'next one ran');
      },
      { concurrency: 1 },
    );
    const failed: unknown[] = [];
    worker.on('task-failed', (_request, error) => failed.push(error));
    // Both sent at once: with concurrency (and prefetch) 1, the second can only run after the first is acked.
    const hang = await app.sendTask('tl.hang', []);
    const ok = await app.sendTask('tl.ok', []);
    const error = await failure(hang.get({ timeout: 10_000 }));
    expect(error.excType).toBe('TimeLimitExceeded');
    expect(error.message).toContain('exceeded its hard time limit of 0.4 s and was marked failed');
    await expect(ok.get({ timeout: 10_000 })).resolves.toBe('next one ran');
    expect(failed).toEqual([expect.objectContaining({ code: 'TIME_LIMIT' })]);
    expect(worker.running).toBe(0);
    await worker.stop(); // an unacked message would return to the queue now
    expect((await broker.counts(queue)).messageCount).toBe(0);
  });

  it('applies the worker default to tasks without limits, and a task option over it', async () => {
    const { app } = await setup(
      (app) => {
        app.task('tl.default', never);
        app.task('tl.own', never, { timeLimit: 0.3 });
      },
      { concurrency: 2, timeLimit: 0.6, softTimeLimit: 5 },
    );
    const [byDefault, byTask] = await Promise.all([
      failure((await app.sendTask('tl.default', [])).get({ timeout: 10_000 })),
      failure((await app.sendTask('tl.own', [])).get({ timeout: 10_000 })),
    ]);
    expect(byDefault.message).toContain('hard time limit of 0.6 s');
    expect(byTask.message).toContain('hard time limit of 0.3 s');
  });

  it('puts send options in the timelimit header [hard, soft], and the worker applies them over the task option', async () => {
    const { app, worker, queue } = await setup(
      (app) => {
        app.task('tl.cooperative', untilAborted, { softTimeLimit: 30 });
        app.task('tl.limits', () => currentTask().request.timeLimit);
      },
      { start: false },
    );
    await app.sendTask('tl.limits', [], { timeLimit: 5, softTimeLimit: 0.5 });
    await app.sendTask('tl.limits', [], { softTimeLimit: 2 });
    await app.sendTask('tl.limits', []);
    const headers = async (): Promise<unknown> => {
      const message = await broker.get(queue);
      return message ? (message.properties.headers as Record<string, unknown>)['timelimit'] : 'no message';
    };
    expect([await headers(), await headers(), await headers()]).toEqual([
      [5, 0.5],
      [null, 2],
      [null, null],
    ]);

    await worker.start();
    await expect((await app.sendTask('tl.limits', [], { timeLimit: 5, softTimeLimit: 0.5 })).get({ timeout: 10_000 })).resolves.toEqual([
      5, 0.5,
    ]);
    const started = Date.now();
    const error = await failure((await app.sendTask('tl.cooperative', [], { softTimeLimit: 0.3 })).get({ timeout: 10_000 }));
    expect(error.excType).toBe('SoftTimeLimitExceeded');
    expect(error.message).toContain('soft time limit of 0.3 s');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("honours a Celery producer's timelimit header [hard, soft]", async () => {
    const { worker, queue } = await setup(
      (app) => {
        app.task('tl.cooperative', untilAborted, { softTimeLimit: 30 });
        app.task('tl.hang', never, { timeLimit: 30 });
      },
      { concurrency: 2 },
    );
    const failed = new Map<string, { error: Error; runtimeMs: number }>();
    worker.on('task-failed', (request: TaskRequest, error, runtimeMs) => failed.set(request.id, { error: error as Error, runtimeMs }));
    // As Celery's apply_async(time_limit=…, soft_time_limit=…) sends it: protocol v2, lang py.
    const celeryMessage = (id: string, task: string, timelimit: [number | null, number | null]) => ({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      correlationId: id,
      headers: {
        lang: 'py',
        task,
        id,
        shadow: null,
        eta: null,
        expires: null,
        group: null,
        group_index: null,
        retries: 0,
        timelimit,
        root_id: id,
        parent_id: null,
        argsrepr: '()',
        kwargsrepr: '{}',
        origin: 'gen1@celery',
        ignore_result: false,
      },
    });
    const body = Buffer.from(JSON.stringify([[], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]));
    await broker.withChannel(async (ch) => {
      ch.sendToQueue(queue, body, celeryMessage('celery-soft', 'tl.cooperative', [10, 0.3]));
      ch.sendToQueue(queue, body, celeryMessage('celery-hard', 'tl.hang', [0.4, null]));
    });
    await BrokerFixture.eventually(() => failed.size === 2, 'both Celery-sent tasks to fail', 10_000);
    const soft = failed.get('celery-soft')!;
    const hard = failed.get('celery-hard')!;
    expect(soft.error).toMatchObject({ name: 'SoftTimeLimitExceeded', limitSeconds: 0.3 });
    expect(hard.error).toMatchObject({ name: 'TimeLimitExceeded', limitSeconds: 0.4 });
    expect(soft.runtimeMs).toBeLessThan(2000);
    expect(hard.runtimeMs).toBeLessThan(2000);
    await BrokerFixture.eventually(async () => worker.running === 0, 'the worker to be idle');
  });

  it('terminates a CPU-bound task in a worker thread at its hard limit and keeps serving', async () => {
    // The fixture module is what task threads load; this app runs the worker, another one sends.
    const { app } = require('../fixtures/thread-tasks.js') as { app: TaskqApp };
    const queue = broker.queue(uniqueName('tl-threads'));
    const worker = new Worker(app, { queues: [queue], concurrency: 1, drainTimeoutMs: 2000 });
    const sender = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, defaults: { defaultQueue: queue } });
    cleanups.push(async () => {
      await worker.stop();
      await sender.close();
    });
    await worker.start();
    const spin = await sender.sendTask('threads.spin', []); // while (true) {} with timeLimit 0.4
    const afterSpin = await sender.sendTask('threads.add', [20, 22]);
    const inline = await sender.sendTask('inline.add', [1, 2]);
    const error = await failure(spin.get({ timeout: 10_000 }));
    expect(error.excType).toBe('TimeLimitExceeded');
    expect(error.message).toContain('its worker thread was terminated');
    await expect(afterSpin.get({ timeout: 10_000 })).resolves.toBe(42);
    await expect(inline.get({ timeout: 10_000 })).resolves.toBe(3);
    await worker.stop();
    expect((await broker.counts(queue)).messageCount).toBe(0);
  });
});
