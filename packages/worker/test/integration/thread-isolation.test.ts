import { Retry, silentLogger, SoftTimeLimitExceeded, TimeLimitExceeded, type Task, type TaskqApp, type TaskRequest } from '@taskq/core';
import { threadId as mainThreadId } from 'node:worker_threads';
import { executeTask, type ExecutionContext } from '../../src/task-executor';
import { checkThreadTasks, ThreadPool } from '../../src/thread-pool';

// Task threads run the compiled thread program (dist/) and load this fixture again, with the
// built @taskq/core: `tsc -b` must have run (as `pnpm test` does). No broker is involved.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { app } = require('../fixtures/thread-tasks.js') as { app: TaskqApp };

let nextId = 0;
function context(
  name: string,
  args: unknown[] = [],
  kwargs: Record<string, unknown> = {},
  timeLimit: [number | null, number | null] = [null, null],
): ExecutionContext {
  const id = `id-${++nextId}`;
  const request: TaskRequest = {
    id,
    name,
    args,
    kwargs,
    embed: { callbacks: null, errbacks: null, chain: null, chord: null },
    retries: 0,
    ignoreResult: false,
    timeLimit,
    contentType: 'application/json',
    headers: {},
  };
  return { id, name, kwargs, retries: 0, redelivered: false, queue: 'q', request } as unknown as ExecutionContext;
}

describe('tasks isolated in worker threads', () => {
  let pool: ThreadPool;
  const task = (name: string): Task<unknown[], unknown> => app.tasks.get(name);
  const run = (
    name: string,
    args: unknown[] = [],
    extra: Partial<{ kwargs: Record<string, unknown>; timeLimit: [number | null, number | null] }> = {},
  ) => executeTask(task(name), context(name, args, extra.kwargs, extra.timeLimit), { threads: pool, logger: silentLogger });

  beforeEach(() => {
    pool = new ThreadPool({ size: 2, modulePath: () => app.sourceModule, logger: silentLogger });
  });
  afterEach(async () => {
    await pool.close();
  });

  it('runs the handler in another thread with its task context, and returns the value', async () => {
    await expect(run('threads.add', [2, 3])).resolves.toMatchObject({ ok: true, value: 5 });
    const info = await run('threads.info', ['x']);
    expect(info.ok).toBe(true);
    const value = (info as { value: { threadId: number; name: string; queue: string; label: string } }).value;
    expect(value).toMatchObject({ label: 'x', name: 'threads.info', queue: 'q' });
    expect(value.threadId).not.toBe(mainThreadId);
  });

  it('binds kwargs by the task params', async () => {
    await expect(run('threads.kwargs', [1], { kwargs: { b: 2 } })).resolves.toMatchObject({ ok: true, value: '1-2' });
  });

  it('terminates a CPU-bound handler at its hard limit, then serves the next task on a fresh thread', async () => {
    const started = Date.now();
    const result = await run('threads.spin'); // timeLimit 0.4 in the fixture
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.ok).toBe(false);
    const error = (result as { error: TimeLimitExceeded }).error;
    expect(error).toBeInstanceOf(TimeLimitExceeded);
    expect(error.message).toContain('its worker thread was terminated');
    await expect(run('threads.add', [1, 1])).resolves.toMatchObject({ ok: true, value: 2 });
    expect(pool.size).toBeLessThanOrEqual(2);
  });

  it("counts time limits from the handler's start, not from a fresh thread's module load", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const slow = (require('../fixtures/slow-thread-tasks.js') as { app: TaskqApp }).app;
    const slowPool = new ThreadPool({ size: 1, modulePath: () => slow.sourceModule, logger: silentLogger });
    try {
      // The thread needs 0.8 s to load its module; the task itself is instant, well under its limits.
      const outcome = await executeTask(slow.tasks.get('slow.add'), context('slow.add', [2, 3], {}, [0.3, 0.2]), {
        threads: slowPool,
        logger: silentLogger,
      });
      expect(outcome).toMatchObject({ ok: true, value: 5 });
      expect(outcome.runtimeMs).toBeGreaterThanOrEqual(700); // the load happened, and did not count
    } finally {
      await slowPool.close();
    }
  });

  it('delivers the soft limit into the thread as SoftTimeLimitExceeded, with its class kept on both sides', async () => {
    const failed = await run('threads.until-aborted', [], { timeLimit: [5, 0.2] });
    expect(failed.ok).toBe(false);
    const error = (failed as { error: SoftTimeLimitExceeded }).error;
    expect(error).toBeInstanceOf(SoftTimeLimitExceeded);
    expect(error).toMatchObject({ code: 'SOFT_TIME_LIMIT', name: 'SoftTimeLimitExceeded', limitSeconds: 0.2 });
    await expect(run('threads.reason-class', [], { timeLimit: [5, 0.1] })).resolves.toMatchObject({ ok: true, value: true });
  });

  it("brings a handler's error back with its name, message and stack", async () => {
    const result = await run('threads.range-error');
    const error = (result as { error: Error }).error;
    expect(error.name).toBe('RangeError');
    expect(error.message).toBe('value out of range: 42');
    expect(error.stack).toContain('thread-tasks.js');
  });

  it('brings a retry request back as a Retry, with its countdown and the error that caused it', async () => {
    const result = await run('threads.retry');
    const error = (result as { error: Retry }).error;
    expect(error).toBeInstanceOf(Retry);
    expect(error.countdown).toBe(5);
    expect(error.error).toBeInstanceOf(Error);
    expect(error.error).toMatchObject({ name: 'TypeError', message: 'flaky upstream' });
  });

  it('fails a task whose result cannot be cloned, and one whose arguments cannot, without losing the thread', async () => {
    await expect(run('threads.function-result')).resolves.toMatchObject({
      ok: false,
      error: expect.objectContaining({ message: expect.stringContaining('cannot be passed back from its worker thread') }),
    });
    await expect(run('threads.add', [() => 1, 2])).resolves.toMatchObject({
      ok: false,
      error: expect.objectContaining({ message: expect.stringContaining('cannot be passed to a worker thread') }),
    });
    await expect(run('threads.add', [2, 2])).resolves.toMatchObject({ ok: true, value: 4 });
  });

  it('fails the running task when its thread dies of an uncaught error, and replaces the thread', async () => {
    await expect(run('threads.crash')).resolves.toMatchObject({
      ok: false,
      error: expect.objectContaining({ message: 'thrown from a timer inside the thread' }),
    });
    await expect(run('threads.add', [3, 4])).resolves.toMatchObject({ ok: true, value: 7 });
  });

  it('runs at most `size` threads; more tasks wait for a free one', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => run('threads.add', [i, i])));
    expect(results.map((r) => (r as { value: number }).value)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(pool.size).toBe(2);
  });

  it("gives the thread's copy of the app the worker app's overrides (taskq worker --broker, --result-backend, …)", async () => {
    const plain = await run('threads.settings');
    expect(plain).toMatchObject({ ok: true, value: { broker: app.brokerUrlMasked } });
    const overridden = new ThreadPool({
      size: 1,
      modulePath: () => app.sourceModule,
      logger: silentLogger,
      overrides: () => ({ brokerUrl: 'amqp://guest:s3cret@10.1.2.3:5672', resultBackend: 'disabled' }),
    });
    try {
      const result = await executeTask(task('threads.settings'), context('threads.settings'), { threads: overridden });
      expect(result).toMatchObject({ ok: true, value: { broker: 'amqp://guest:****@10.1.2.3:5672', results: 'disabled' } });
    } finally {
      await overridden.close();
    }
  });

  it('explains a module that cannot be loaded', async () => {
    const broken = new ThreadPool({ size: 1, modulePath: () => '/nonexistent/tasks.js', logger: silentLogger });
    try {
      await expect(executeTask(task('threads.add'), context('threads.add', [1, 2]), { threads: broken })).resolves.toMatchObject({
        ok: false,
        error: expect.objectContaining({
          code: 'THREAD_LOAD_FAILED',
          message: expect.stringContaining('could not load the tasks module /nonexistent/tasks.js'),
        }),
      });
    } finally {
      await broken.close();
    }
  });

  it('refuses, before starting, an app with thread tasks but no known module', () => {
    const { createApp } = require('@taskq/core') as typeof import('@taskq/core');
    const anonymous = createApp({ logger: silentLogger });
    anonymous.task('x.iso', () => 1, { isolate: 'thread' });
    expect(() => checkThreadTasks(anonymous)).toThrow(expect.objectContaining({ code: 'THREAD_MODULE_UNKNOWN' }));
    expect(() => checkThreadTasks(app)).not.toThrow();
  });

  it('measures the overhead of a thread round trip against running in process', async () => {
    await run('threads.add', [0, 0]); // warm: the thread has loaded the module
    const rounds = 200;
    const time = async (name: string): Promise<number> => {
      const started = performance.now();
      for (let i = 0; i < rounds; i++) await run(name, [i, 1]);
      return (performance.now() - started) / rounds;
    };
    const inline = await time('inline.add');
    const threaded = await time('threads.add');
    const coldStarted = performance.now();
    const cold = new ThreadPool({ size: 1, modulePath: () => app.sourceModule, logger: silentLogger });
    await executeTask(task('threads.add'), context('threads.add', [1, 2]), { threads: cold });
    const coldMs = performance.now() - coldStarted;
    await cold.close();
    // Printed for the record (see README "Time limits"); the bound only catches a broken pool.
    process.stdout.write(
      `thread overhead: in process ${inline.toFixed(3)} ms/task, warm thread ${threaded.toFixed(3)} ms/task, cold thread start ${coldMs.toFixed(1)} ms\n`,
    );
    expect(threaded).toBeLessThan(20);
  });
});
