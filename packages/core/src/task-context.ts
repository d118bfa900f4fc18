import { AsyncLocalStorage } from 'node:async_hooks';
import type { TaskRequest } from './protocol';
import type { Retry, RetryRequest } from './task-control';

/** What a running task can know about its own delivery. */
export interface TaskContext {
  /** The task id. */
  readonly id: string;
  /** The registered task name. */
  readonly name: string;
  /** Keyword arguments sent with the task (Celery's kwargs; `{}` when none). */
  readonly kwargs: Readonly<Record<string, unknown>>;
  /** How many times this task was retried before this run. */
  readonly retries: number;
  /** True when the broker delivered this message before (a worker died or a channel closed mid-run). */
  readonly redelivered: boolean;
  /** The queue the message was consumed from. */
  readonly queue: string;
  /** The full decoded request: headers, eta, expires, reply_to, … */
  readonly request: TaskRequest;
  /**
   * Ask to run this task again later (Celery's `self.retry()`): throws a {@link Retry}, so
   * `throw currentTask().retry({ countdown: 60 })` and a bare call both work.
   */
  retry(request?: RetryRequest): never;
  /**
   * Aborts when the task's soft time limit passes (reason: `SoftTimeLimitExceeded`), or at the hard
   * limit when there is no soft one (reason: `TimeLimitExceeded`). Check it in long loops
   * (`signal.throwIfAborted()`) or pass it on (`fetch(url, { signal })`) to stop in time; a
   * handler that ignores it runs on. Never aborts for a task without limits.
   */
  readonly signal: AbortSignal;
}

const storage = new AsyncLocalStorage<TaskContext>();

/**
 * The context of the task running in the current async call chain, for handlers that need
 * their id, kwargs or delivery facts. Throws when called outside a task.
 */
export function currentTask(): TaskContext {
  const context = storage.getStore();
  if (!context) {
    throw new Error('currentTask() was called outside a running task: call it from a task handler (or code it awaits).');
  }
  return context;
}

/** Run `fn` with `context` as the current task (used by the worker). */
export function runInTaskContext<T>(context: TaskContext, fn: () => T): T {
  return storage.run(context, fn);
}

/**
 * The context of the task whose async call chain is running now, or undefined outside a task. The
 * worker uses it to pin an uncaught exception or unhandled rejection on the task that caused it.
 */
export function runningTaskContext(): TaskContext | undefined {
  return storage.getStore();
}
