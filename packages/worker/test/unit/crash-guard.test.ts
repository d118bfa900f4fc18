import { silentLogger, type TaskContext } from '@taskq/core';
import { runInTaskContext } from '@taskq/core/internal';
import { CrashGuard } from '../../src/crash-guard';

function context(id: string): TaskContext {
  return {
    id,
    name: 'crash.task',
    kwargs: {},
    retries: 0,
    redelivered: false,
    queue: 'q',
    request: {} as TaskContext['request'],
    retry: () => {
      throw new Error('no');
    },
    signal: new AbortController().signal,
  };
}

describe('CrashGuard (uncaught errors pinned on the task that raised them)', () => {
  it('fails the running task whose async context raised the error, and nothing else', () => {
    const fatal = jest.fn();
    const guard = new CrashGuard(silentLogger, fatal);
    const a = context('a');
    const b = context('b');
    const failA = jest.fn();
    const failB = jest.fn();
    guard.register(a, failA);
    guard.register(b, failB);
    const error = new Error('thrown in a timer');
    runInTaskContext(a, () => guard.handle('uncaught exception', error));
    expect(failA).toHaveBeenCalledWith(error);
    expect(failB).not.toHaveBeenCalled();
    expect(fatal).not.toHaveBeenCalled();
  });

  it('logs (and survives) an error from a task that already finished', () => {
    const fatal = jest.fn();
    const errors: string[] = [];
    const guard = new CrashGuard({ ...silentLogger, error: (m: string) => errors.push(m) }, fatal);
    const a = context('a');
    const unregister = guard.register(a, jest.fn());
    unregister();
    runInTaskContext(a, () => guard.handle('unhandled rejection', new Error('late')));
    expect(fatal).not.toHaveBeenCalled();
    expect(errors.join('\n')).toMatch(/crash.task\[a\] raised an unhandled rejection after it had finished/);
  });

  it('calls onFatal for an error from outside every task', () => {
    const fatal = jest.fn();
    const guard = new CrashGuard(silentLogger, fatal);
    const error = new Error('outside');
    guard.handle('uncaught exception', error);
    expect(fatal).toHaveBeenCalledWith(error, 'uncaught exception');
  });

  it('installs and removes its process handlers', () => {
    const guard = new CrashGuard(silentLogger, jest.fn());
    const before = process.listenerCount('unhandledRejection');
    guard.install();
    guard.install();
    expect(process.listenerCount('unhandledRejection')).toBe(before + 1);
    guard.uninstall();
    expect(process.listenerCount('unhandledRejection')).toBe(before);
  });
});
