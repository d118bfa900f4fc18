import { createApp, currentTask, silentLogger, SoftTimeLimitExceeded, TimeLimitExceeded, type Logger, type TaskRequest } from '@taskq/core';
import { executeTask, type ExecutionContext } from '../../src/task-executor';

/** A decoded request as the worker would pass it, with the given `timelimit` header. */
function context(timeLimit: [number | null, number | null] = [null, null], args: unknown[] = []): ExecutionContext {
  const request: TaskRequest = {
    id: 'id-1',
    name: 't',
    args,
    kwargs: {},
    embed: { callbacks: null, errbacks: null, chain: null, chord: null },
    retries: 0,
    ignoreResult: false,
    timeLimit,
    contentType: 'application/json',
    headers: {},
  };
  return {
    id: 'id-1',
    name: 't',
    kwargs: {},
    retries: 0,
    redelivered: false,
    queue: 'q',
    request,
    retry: () => {
      throw new Error('not in this test');
    },
  } as unknown as ExecutionContext;
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLogger, warnings, warn: (message: string) => warnings.push(message) };
}

const never = (): Promise<never> => new Promise(() => undefined);

describe('executing a task under time limits', () => {
  const app = createApp({ logger: silentLogger });

  it('gives every run a signal that stays quiet without limits', async () => {
    const task = app.task('t.plain', () => currentTask().signal);
    const result = await executeTask(task, context());
    expect(result.ok).toBe(true);
    const signal = (result as { value: AbortSignal }).value;
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal.aborted).toBe(false);
  });

  it('aborts the signal at the soft limit with SoftTimeLimitExceeded; a cooperative handler fails with it', async () => {
    const task = app.task(
      't.soft',
      () => {
        const { signal } = currentTask();
        return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      },
      { softTimeLimit: 0.1 },
    );
    const started = Date.now();
    const result = await executeTask(task, context());
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(result.ok).toBe(false);
    const error = (result as { error: SoftTimeLimitExceeded }).error;
    expect(error).toBeInstanceOf(SoftTimeLimitExceeded);
    expect(error).toMatchObject({ code: 'SOFT_TIME_LIMIT', name: 'SoftTimeLimitExceeded', limitSeconds: 0.1 });
    expect(error.message).toContain('Task t.soft[id-1] exceeded its soft time limit of 0.1 s');
  });

  it('lets a handler that finishes its work after the soft limit succeed', async () => {
    const task = app.task(
      't.soft-ok',
      async () => {
        await new Promise((r) => setTimeout(r, 150));
        return currentTask().signal.aborted ? 'cleaned up' : 'no abort';
      },
      { softTimeLimit: 0.05 },
    );
    await expect(Promise.resolve(executeTask(task, context()))).resolves.toMatchObject({ ok: true, value: 'cleaned up' });
  });

  it('ends a never-settling handler at the hard limit as TimeLimitExceeded, aborts its signal, and says so', async () => {
    let signal: AbortSignal | undefined;
    const task = app.task(
      't.hang',
      () => {
        signal = currentTask().signal;
        return never();
      },
      { timeLimit: 0.15 },
    );
    const logger = recordingLogger();
    const started = Date.now();
    const result = await executeTask(task, context(), { logger });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1000);
    expect(result.ok).toBe(false);
    const error = (result as { error: TimeLimitExceeded }).error;
    expect(error).toBeInstanceOf(TimeLimitExceeded);
    expect(error).toMatchObject({ code: 'TIME_LIMIT', name: 'TimeLimitExceeded', limitSeconds: 0.15 });
    expect(error.message).toContain('JavaScript cannot stop a running function');
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
    expect(logger.warnings[0]).toContain('Task t.hang[id-1] reached its hard time limit of 0.15 s');
  });

  it('keeps the soft reason on the signal when the hard limit follows it', async () => {
    let signal: AbortSignal | undefined;
    const task = app.task(
      't.deaf',
      () => {
        signal = currentTask().signal;
        return never();
      },
      { timeLimit: 0.2, softTimeLimit: 0.05 },
    );
    const result = await executeTask(task, context());
    expect((result as { error: unknown }).error).toBeInstanceOf(TimeLimitExceeded);
    expect(signal?.reason).toBeInstanceOf(SoftTimeLimitExceeded);
  });

  it('logs when an abandoned handler finishes after its hard limit, and its outcome is discarded', async () => {
    const task = app.task(
      't.late',
      async () => {
        await new Promise((r) => setTimeout(r, 200));
        return 'too late';
      },
      { timeLimit: 0.05 },
    );
    const logger = recordingLogger();
    const result = await executeTask(task, context(), { logger });
    expect(result.ok).toBe(false);
    await new Promise((r) => setTimeout(r, 250));
    expect(logger.warnings[1]).toMatch(/^Task t\.late\[id-1\] returned 0\.2\d\d s after it started, past its hard time limit/);
  });

  it('applies the message header over the task option over the worker default', async () => {
    const task = app.task('t.which', () => never(), { timeLimit: 5 });
    const fromHeader = await executeTask(task, context([0.05, null]), { timeLimits: { timeLimit: 9 } });
    expect((fromHeader as { error: TimeLimitExceeded }).error.limitSeconds).toBe(0.05);
    const fromWorker = await executeTask(
      app.task('t.which2', () => never()),
      context(),
      { timeLimits: { timeLimit: 0.05 } },
    );
    expect((fromWorker as { error: TimeLimitExceeded }).error.limitSeconds).toBe(0.05);
  });

  it('reports sync throws, async rejections and argument binding errors as failures', async () => {
    const sync = app.task(
      't.sync-throw',
      () => {
        throw new RangeError('sync');
      },
      { timeLimit: 1 },
    );
    const asyncFail = app.task('t.async-throw', async () => {
      throw new TypeError('async');
    });
    const params = app.task('t.params', (x: number) => x, { params: ['x'] });
    const bad = context();
    (bad.request as { kwargs: Record<string, unknown> }).kwargs = { nope: 1 };
    await expect(Promise.resolve(executeTask(sync, context()))).resolves.toMatchObject({ ok: false, error: expect.any(RangeError) });
    await expect(Promise.resolve(executeTask(asyncFail, context()))).resolves.toMatchObject({ ok: false, error: expect.any(TypeError) });
    await expect(Promise.resolve(executeTask(params, bad))).resolves.toMatchObject({
      ok: false,
      error: expect.objectContaining({ message: expect.stringContaining("unexpected keyword argument 'nope'") }),
    });
  });

  it('returns a synchronous result without a promise, so the worker can ack in the same tick', async () => {
    const sync = app.task('t.sync-value', (a: number, b: number) => a + b);
    const syncThrow = app.task(
      't.sync-fail',
      () => {
        throw new RangeError('no');
      },
      { timeLimit: 5, softTimeLimit: 1 },
    );
    const later = app.task('t.async-value', async () => 'later');
    const now = executeTask(sync, context([null, null], [2, 3]));
    expect(now).not.toBeInstanceOf(Promise);
    expect(now).toMatchObject({ ok: true, value: 5 });
    const failed = executeTask(syncThrow, context());
    expect(failed).not.toBeInstanceOf(Promise);
    expect(failed).toMatchObject({ ok: false, error: expect.any(RangeError) });
    const pending = executeTask(later, context());
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).resolves.toMatchObject({ ok: true, value: 'later' });
  });

  it('fails an isolated task clearly when no thread pool was given', async () => {
    const task = app.task('t.isolated', () => 1, { isolate: 'thread' });
    await expect(Promise.resolve(executeTask(task, context()))).resolves.toMatchObject({
      ok: false,
      error: expect.objectContaining({ code: 'THREAD_POOL_MISSING' }),
    });
  });
});
