import type { AsyncResult } from './results';
import type { SendOptions } from './send-options';

/** A task handler: sync or async, called with the positional arguments the caller sent. */
export type TaskHandler<A extends unknown[] = unknown[], R = unknown> = (...args: A) => R | Promise<R>;

/** Per-task settings given to `app.task(name, handler, options)`. */
export interface TaskOptions {
  /** Send options applied to every call of this task (a call's own options win). */
  defaults?: SendOptions;
  /**
   * The handler's parameter names, in order. With them, keyword arguments (Celery kwargs, e.g.
   * from a Python caller) are bound to positions by name, as Python would; without them kwargs
   * are only available as `currentTask().kwargs`.
   */
  params?: readonly string[];
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
  constructor(
    /** The name workers look the task up by (Celery's task name). */
    readonly name: string,
    /** The function the worker runs. */
    readonly handler: TaskHandler<A, R>,
    private readonly sender: TaskSender,
    /** Options this task was registered with. */
    readonly options: TaskOptions = {},
  ) {}

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
