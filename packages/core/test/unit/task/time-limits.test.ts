import { createApp } from '../../../src/app';
import { SoftTimeLimitExceeded, TaskqError, TimeLimitExceeded } from '../../../src/errors';
import { silentLogger } from '../../../src/logger';
import { SEND_OPTION_KEYS } from '../../../src/send-options';
import { checkTimeLimits, resolveTimeLimits } from '../../../src/time-limits';

describe('time limit precedence', () => {
  it('has no limits when nobody sets one', () => {
    expect(resolveTimeLimits([null, null])).toEqual({ hard: undefined, soft: undefined });
    expect(resolveTimeLimits([null, null], {}, {})).toEqual({ hard: undefined, soft: undefined });
  });

  it('takes the worker default when the task and the message set none', () => {
    expect(resolveTimeLimits([null, null], {}, { timeLimit: 60, softTimeLimit: 50 })).toEqual({ hard: 60, soft: 50 });
  });

  it('prefers the task option over the worker default', () => {
    expect(resolveTimeLimits([null, null], { timeLimit: 10, softTimeLimit: 5 }, { timeLimit: 60, softTimeLimit: 50 })).toEqual({
      hard: 10,
      soft: 5,
    });
  });

  it("prefers the message's timelimit header [hard, soft] over both (Celery: the caller's wins)", () => {
    expect(resolveTimeLimits([2, 1], { timeLimit: 10, softTimeLimit: 5 }, { timeLimit: 60, softTimeLimit: 50 })).toEqual({
      hard: 2,
      soft: 1,
    });
  });

  it('resolves hard and soft each on its own', () => {
    expect(resolveTimeLimits([null, 1], { timeLimit: 10 }, { softTimeLimit: 50 })).toEqual({ hard: 10, soft: 1 });
    expect(resolveTimeLimits([3, null], {}, { softTimeLimit: 50 })).toEqual({ hard: 3, soft: 50 });
    expect(resolveTimeLimits([null, null], { softTimeLimit: 5 }, { timeLimit: 60 })).toEqual({ hard: 60, soft: 5 });
  });

  it('skips values that are not a positive number, at every level', () => {
    expect(resolveTimeLimits([0, -1], { timeLimit: Number.NaN }, { timeLimit: 7, softTimeLimit: Infinity })).toEqual({
      hard: 7,
      soft: undefined,
    });
  });

  it('keeps fractions of a second', () => {
    expect(resolveTimeLimits([0.3, 0.25])).toEqual({ hard: 0.3, soft: 0.25 });
  });
});

describe('time limit validation', () => {
  it('accepts positive numbers of seconds and absent values', () => {
    expect(() => checkTimeLimits({}, 'x')).not.toThrow();
    expect(() => checkTimeLimits({ timeLimit: 0.5, softTimeLimit: 300 }, 'x')).not.toThrow();
  });

  it.each([0, -1, Number.NaN, Infinity, '5'])('refuses %p with a message naming the place and the key', (value) => {
    expect(() => checkTimeLimits({ softTimeLimit: value as number }, "app.task('t')", 'INVALID_TASK')).toThrow(
      expect.objectContaining({
        code: 'INVALID_TASK',
        message: expect.stringContaining("app.task('t'): softTimeLimit must be a number of seconds above 0"),
      }),
    );
  });

  it('checks task options when a task is registered', () => {
    const app = createApp({ logger: silentLogger });
    expect(() => app.task('t.bad', () => 1, { timeLimit: -3 })).toThrow(expect.objectContaining({ code: 'INVALID_TASK' }));
    expect(() => app.task('t.iso', () => 1, { isolate: 'process' as 'thread' })).toThrow(/isolate must be 'none' or 'thread'/);
    expect(app.task('t.ok', () => 1, { timeLimit: 1, softTimeLimit: 0.5, isolate: 'thread' }).options).toMatchObject({ timeLimit: 1 });
  });

  it('allows timeLimit and softTimeLimit as send options', () => {
    expect(SEND_OPTION_KEYS.has('timeLimit')).toBe(true);
    expect(SEND_OPTION_KEYS.has('softTimeLimit')).toBe(true);
  });

  it('refuses a bad send option value before anything is sent', async () => {
    const app = createApp({ logger: silentLogger });
    await expect(app.sendTask('t', [], { timeLimit: 0 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining("Send options for task 't': timeLimit must be a number of seconds above 0"),
    });
    await app.close();
  });
});

describe('time limit errors', () => {
  it('carry stable codes and the Celery exception names', () => {
    const soft = new SoftTimeLimitExceeded(0.5, 'tasks.x[1]');
    const hard = new TimeLimitExceeded(2, 'tasks.x[1]', 'its worker thread was terminated');
    expect(soft).toBeInstanceOf(TaskqError);
    expect([soft.code, soft.name, soft.limitSeconds]).toEqual(['SOFT_TIME_LIMIT', 'SoftTimeLimitExceeded', 0.5]);
    expect([hard.code, hard.name, hard.limitSeconds]).toEqual(['TIME_LIMIT', 'TimeLimitExceeded', 2]);
    expect(soft.message).toBe(
      'Task tasks.x[1] exceeded its soft time limit of 0.5 s. Finish or clean up when currentTask().signal aborts, or raise the limit (softTimeLimit).',
    );
    expect(hard.message).toBe(
      'Task tasks.x[1] exceeded its hard time limit of 2 s and was marked failed; its worker thread was terminated. Raise the limit (timeLimit) if the task needs longer.',
    );
  });
});

describe('the source module', () => {
  it('is unknown until set, and stored as an absolute path', () => {
    const app = createApp({ logger: silentLogger });
    expect(app.sourceModule).toBeUndefined();
    app.setSourceModule('relative/tasks.js');
    expect(app.sourceModule).toBe(`${process.cwd()}/relative/tasks.js`);
    app.setSourceModule('file:///srv/app/tasks.mjs');
    expect(app.sourceModule).toBe('/srv/app/tasks.mjs');
  });
});

describe('time limit errors in results', () => {
  it("name Celery's exception module, so a Python caller gets celery.exceptions classes", () => {
    const { exceptionInfo } = require('../../../src/protocol/result-meta') as typeof import('../../../src/protocol/result-meta');
    expect(exceptionInfo(new SoftTimeLimitExceeded(1, 'a[1]'))).toMatchObject({
      exc_type: 'SoftTimeLimitExceeded',
      exc_module: 'celery.exceptions',
    });
    expect(exceptionInfo(new TimeLimitExceeded(1, 'a[1]'))).toMatchObject({
      exc_type: 'TimeLimitExceeded',
      exc_module: 'celery.exceptions',
    });
  });
});
