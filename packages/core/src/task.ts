import type { AsyncResult } from './results';
import { resolveRetryPolicy, type RetryPolicy, type RetrySettings } from './retry-settings';
import type { SendOptions } from './send-options';

/** A task handler: sync or async, called with the positional arguments the caller sent. */
export type TaskHandler<A extends unknown[] = unknown[], R = unknown> = (...args: A) => R | Promise<R>;

/** Per-task settings given to `app.task(name, handler, options)`, including its retry settings. */
export interface TaskOptions extends RetrySettings {
  /** Send options applied to every call of this task (a call's own options win). */
  defaults?: SendOptions;
  /**
   * The handler's parameter names, in order. With them, keyword arguments (Celery kwargs, e.g.
   * from a Python caller) are bound to positions by name, as Python would; without them kwargs
   * are only available as `currentTask().kwargs`.
   */
  params?: readonly string[];
  /**
   * Hard time limit in seconds (Celery's `time_limit`): past it the task is marked failed with
   * `TimeLimitExceeded`, acked, and its slot freed. A caller's `timeLimit` send option wins; this
   * wins over the worker's `--time-limit`. @defaultValue none
   */
  timeLimit?: number;
  /**
   * Soft time limit in seconds (Celery's `soft_time_limit`): `currentTask().signal` aborts with
   * `SoftTimeLimitExceeded`, so the handler can clean up and throw. Precedence as `timeLimit`.
   * @defaultValue none
   */
  softTimeLimit?: number;
  /**
   * `'thread'` runs the handler in a worker thread (`node:worker_threads`) that loads the app's
   * module again, so the hard limit can really stop CPU-bound work (it terminates the thread).
   * Arguments and results cross by structured clone. Needs the worker to know the module: the
   * CLI's `--app`, or `app.setSourceModule(path)`. @defaultValue 'none' (in the worker's thread)
   */
  isolate?: 'none' | 'thread';
}

/** What a task needs from its app to send itself. */
export interface TaskSender {
  sendTask<R>(name: string, args: readonly unknown[], options?: SendOptions): Promise<AsyncResult<R>>;
}

/**
 * A registered task. Calling methods send it to the broker; the worker runs `handler`.
 * Argument and result types flow from the handler to callers.
 */
export class Task<A extends unknown[] = unknown[], R = unknown> {
  /** The retry settings with Celery's defaults applied (validated at registration). */
  readonly retryPolicy: RetryPolicy;

  constructor(
    /** The name workers look the task up by (Celery's task name). */
    readonly name: string,
    /** The function the worker runs. */
    readonly handler: TaskHandler<A, R>,
    private readonly sender: TaskSender,
    /** Options this task was registered with. */
    readonly options: TaskOptions = {},
  ) {
    this.retryPolicy = resolveRetryPolicy(name, options);
  }

  /**
   * Send the task. Resolves when the broker has confirmed the message, with a handle whose
   * `get()` waits for the result.
   */
  applyAsync(args: A, options: SendOptions = {}): Promise<AsyncResult<Awaited<R>>> {
    const merged = this.options.defaults ? { ...this.options.defaults, ...options } : options;
    return this.sender.sendTask<Awaited<R>>(this.name, args, merged);
  }

  /** Celery's spelling of {@link Task.applyAsync}. */
  apply_async(args: A, options: SendOptions = {}): Promise<AsyncResult<Awaited<R>>> {
    return this.applyAsync(args, options);
  }

  /** Send with default options: `add.delay(2, 3)`. */
  delay(...args: A): Promise<AsyncResult<Awaited<R>>> {
    return this.applyAsync(args);
  }
}
