import { createApp, currentTask, silentLogger, TaskFailedError, type TaskqApp } from '@taskq/core';
import { Worker } from '../../src';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';

describe('worker against the real broker', () => {
  const broker = new BrokerFixture();
  const cleanups: Array<() => Promise<void>> = [];

  /** An app plus a started worker on a fresh queue. */
  async function setup(
    define: (app: TaskqApp) => void,
    options: { concurrency?: number; start?: boolean } = {},
  ): Promise<{ app: TaskqApp; worker: Worker; queue: string }> {
    const queue = broker.queue(uniqueName('w'));
    // A dead-letter queue of the test's own, so refused messages never reach the shared taskq.dead.
    const deadLetterQueue = broker.queue(uniqueName('w-dead'));
    const app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, defaults: { defaultQueue: queue }, deadLetterQueue });
    define(app);
    const worker = new Worker(app, { queues: [queue], concurrency: options.concurrency ?? 2, drainTimeoutMs: 5000 });
    cleanups.push(async () => {
      await worker.stop();
      await app.close();
    });
    if (options.start !== false) await worker.start();
    return { app, worker, queue };
  }

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await broker.cleanup();
  });

  it('runs a task and returns its result to the caller', async () => {
    let add!: ReturnType<TaskqApp['task']>;
    await setup((app) => {
      add = app.task('tasks.add', (x: number, y: number) => x + y);
    });
    const result = await add.apply_async([2, 3], {});
    await expect(result.get({ timeout: 10_000 })).resolves.toBe(5);
    expect(result.state).toBe('SUCCESS');
    expect(result.ready()).toBe(true);
  });

  it('runs async handlers and passes kwargs through the task context', async () => {
    const { app } = await setup((app) => {
      app.task('tasks.greet', async (greeting: string) => {
        await new Promise((r) => setTimeout(r, 10));
        const { kwargs, name, redelivered } = currentTask();
        return `${greeting}, ${String(kwargs['name'])} from ${name} (redelivered: ${redelivered})`;
      });
    });
    const result = await app.sendTask<string>('tasks.greet', ['hello'], { kwargs: { name: 'Ada' } });
    await expect(result.get({ timeout: 10_000 })).resolves.toBe('hello, Ada from tasks.greet (redelivered: false)');
  });

  it('reports a failing task with its error type, message and stack', async () => {
    const { app } = await setup((app) => {
      app.task('tasks.boom', () => {
        throw new RangeError('value out of range: 42');
      });
    });
    const result = await app.sendTask('tasks.boom', []);
    const error = (await result.get({ timeout: 10_000 }).catch((e: unknown) => e)) as TaskFailedError;
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error.excType).toBe('RangeError');
    expect(error.message).toBe('RangeError: value out of range: 42');
    expect(error.remoteStack).toContain('value out of range: 42');
    expect(result.state).toBe('FAILURE');
  });

  it('times out get() with a clear error when no result comes', async () => {
    const { app } = await setup(() => undefined, { start: false });
    const result = await app.sendTask('tasks.nobody', []);
    await expect(result.get({ timeout: 200 })).rejects.toMatchObject({ code: 'RESULT_TIMEOUT' });
  });

  it('never runs more than `concurrency` tasks at once', async () => {
    let running = 0;
    let peak = 0;
    const { app } = await setup(
      (app) => {
        app.task('tasks.slow', async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 50));
          running--;
        });
      },
      { concurrency: 3 },
    );
    const results = await Promise.all(Array.from({ length: 15 }, () => app.sendTask('tasks.slow', [])));
    await Promise.all(results.map((r) => r.get({ timeout: 20_000 })));
    expect(peak).toBe(3);
  });

  it('rejects unknown tasks without requeueing, tells the caller, and keeps working', async () => {
    const { app, worker, queue } = await setup((app) => {
      app.task('tasks.known', () => 'ok');
    });
    const rejected: Error[] = [];
    worker.on('message-rejected', (_q, reason) => rejected.push(reason));
    const unknown = await app.sendTask('tasks.unknown', []);
    await expect(unknown.get({ timeout: 10_000 })).rejects.toMatchObject({ excType: 'NotRegisteredError' });
    await expect((await app.sendTask('tasks.known', [])).get({ timeout: 10_000 })).resolves.toBe('ok');
    expect(rejected).toHaveLength(1);
    expect((await broker.counts(queue)).messageCount).toBe(0);
  });

  it.each([
    [
      'a body that is not JSON',
      Buffer.from('{not json'),
      { contentType: 'application/json', headers: { task: 'tasks.known', id: 'bad-json' } },
    ],
    [
      'a pickle message',
      Buffer.from([0x80, 0x04]),
      { contentType: 'application/x-python-serialize', headers: { task: 'tasks.known', id: 'pickle' } },
    ],
    ['a message with no task header', Buffer.from('[[],{},{}]'), { contentType: 'application/json', headers: {} }],
    [
      'a body of the wrong shape',
      Buffer.from('{"a":1}'),
      { contentType: 'application/json', headers: { task: 'tasks.known', id: 'shape' } },
    ],
  ])('rejects %s without a redelivery loop and keeps running', async (_label, content, properties) => {
    const { app, worker, queue } = await setup((app) => {
      app.task('tasks.known', () => 'ok');
    });
    const rejected: Error[] = [];
    worker.on('message-rejected', (_q, reason) => rejected.push(reason));
    await broker.withChannel(async (ch) => {
      ch.sendToQueue(queue, content, properties);
    });
    await BrokerFixture.eventually(() => rejected.length === 1, 'the rejection');
    await expect((await app.sendTask('tasks.known', [])).get({ timeout: 10_000 })).resolves.toBe('ok');
    await new Promise((r) => setTimeout(r, 200));
    expect(rejected).toHaveLength(1);
    expect((await broker.counts(queue)).messageCount).toBe(0);
  });

  it('lets a higher-priority task overtake a backlog, by at most `concurrency` tasks', async () => {
    const concurrency = 2;
    const started: string[] = [];
    const { app } = await setup(
      (app) => {
        app.task('tasks.job', async (label: string) => {
          started.push(label);
          await new Promise((r) => setTimeout(r, 20));
        });
      },
      { concurrency },
    );
    const low = await Promise.all(Array.from({ length: 40 }, (_, i) => app.sendTask('tasks.job', [`low-${i}`], { priority: 1 })));
    const urgent = await app.sendTask('tasks.job', ['urgent'], { priority: 9 });
    const lowStartedBeforeSend = started.length;
    await Promise.all([...low, urgent].map((r) => r.get({ timeout: 30_000 })));
    const position = started.indexOf('urgent');
    // Only tasks already delivered (the running ones, ≤ concurrency) may start after the send and before it.
    expect(position - lowStartedBeforeSend).toBeLessThanOrEqual(concurrency);
    expect(position).toBeLessThan(40);
  });

  it('does not run an expired task and reports it as revoked', async () => {
    const runs: number[] = [];
    const { app } = await setup((app) => {
      app.task('tasks.late', () => runs.push(1));
    });
    const result = await app.sendTask('tasks.late', [], { expires: new Date(Date.now() - 1000) });
    await expect(result.get({ timeout: 10_000 })).rejects.toMatchObject({ code: 'TASK_REVOKED', state: 'REVOKED' });
    expect(runs).toHaveLength(0);
  });

  it('runs a task with a countdown no earlier than its eta', async () => {
    let ranAt = 0;
    const { app } = await setup((app) => {
      app.task('tasks.later', () => {
        ranAt = Date.now();
      });
    });
    const sentAt = Date.now();
    const result = await app.sendTask('tasks.later', [], { countdown: 1.5 });
    await result.get({ timeout: 20_000 });
    expect(ranAt - sentAt).toBeGreaterThanOrEqual(1450);
  });

  it('moves a not-yet-due message it receives (e.g. from Celery) into the broker instead of holding it', async () => {
    let ranAt = 0;
    const { worker, queue } = await setup((app) => {
      app.task('tasks.eta', () => {
        ranAt = Date.now();
      });
    });
    const eta = new Date(Date.now() + 2500);
    await broker.withChannel(async (ch) => {
      ch.sendToQueue(queue, Buffer.from(JSON.stringify([[], {}, {}])), {
        contentType: 'application/json',
        headers: { task: 'tasks.eta', id: 'eta-1', eta: eta.toISOString() },
        correlationId: 'eta-1',
      });
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(worker.running).toBe(0); // not held in memory
    await BrokerFixture.eventually(() => ranAt > 0, 'the eta task to run', 20_000);
    expect(ranAt).toBeGreaterThanOrEqual(eta.getTime() - 50);
  });

  it('stop() lets a running task finish and deliver its result', async () => {
    let release!: () => void;
    const { app, worker } = await setup((app) => {
      app.task('tasks.long', () => new Promise<string>((resolve) => (release = () => resolve('finished'))));
    });
    const result = await app.sendTask('tasks.long', []);
    await BrokerFixture.eventually(() => worker.running === 1, 'the task to start');
    const stopped = worker.stop();
    setTimeout(() => release(), 200);
    await stopped;
    await expect(result.get({ timeout: 5000 })).resolves.toBe('finished');
  });

  it('validates its options', () => {
    const app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger });
    expect(() => new Worker(app, { concurrency: 0 })).toThrow(/concurrency must be a whole number/);
    expect(() => new Worker(app, { queues: [''] })).toThrow(/non-empty queue names/);
  });
});
