import {
  SoftTimeLimitExceeded,
  TaskqError,
  TimeLimitExceeded,
  type Logger,
  type Task,
  type TaskContext,
  type TimeLimitSettings,
} from '@taskq/core';
import { bindArguments, resolveTimeLimits, runInTaskContext } from '@taskq/core/internal';
import type { ThreadPool } from './thread-pool';

/** How one run of a handler ended. */
export type ExecutionResult = { ok: true; value: unknown; runtimeMs: number } | { ok: false; error: unknown; runtimeMs: number };

/** What the worker lends the executor. */
export interface ExecuteOptions {
  /** The worker's default limits; the message's `timelimit` header and the task's options win. */
  timeLimits?: TimeLimitSettings;
  /** Runs tasks registered with `isolate: 'thread'`. */
  threads?: ThreadPool;
  /** Where to warn about handlers abandoned at their hard limit. */
  logger?: Logger;
  /** Where in-process runs register, so an uncaught error raised in their async context fails them. */
  crashes?: CrashRegistry;
}

/** Lets the worker's crash guard fail a run whose async context raised an uncaught error. */
export interface CrashRegistry {
  /** `context` is the object `currentTask()` returns inside the run; returns the unregister function. */
  register(context: object, fail: (error: unknown) => void): () => void;
}

/** The task context without its signal, which the executor creates for each run. */
export type ExecutionContext = Omit<TaskContext, 'signal'>;

/** setTimeout fires at once beyond this (about 24.8 days); longer limits wait this long. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One started run of a handler, in this thread or in a task thread. */
interface HandlerRun {
  readonly result: Promise<unknown>;
  /**
   * When the handler started: time limits count from here. A thread run starts once a thread with
   * the tasks module loaded takes it; undefined for a run that started at once, here.
   */
  readonly started?: Promise<void>;
  /** The soft limit: abort the handler's signal. */
  abort(reason: Error): void;
  /** The hard limit: stop the handler if that is possible, and stop waiting for it. */
  stop(reason: Error): void;
  /** What {@link HandlerRun.stop} achieves, for the TimeLimitExceeded message. */
  readonly stopped: string;
}

/**
 * Run a task's handler with its context available through `currentTask()`, under its time limits.
 * Synchronous throws and rejected promises are both failures; nothing a handler does can escape as
 * an unhandled error. At the soft limit the context's signal aborts with SoftTimeLimitExceeded; at
 * the hard limit the run ends as a TimeLimitExceeded failure whether or not the handler settles.
 *
 * A handler that returns (or throws) synchronously gets its result back synchronously, not as a
 * promise — a finished run has nothing left to limit. The worker then acks in the same tick as the
 * delivery, which keeps a busy worker close to the speed of a bare amqplib consumer.
 */
export function executeTask(
  task: Task<unknown[], unknown>,
  context: ExecutionContext,
  options: ExecuteOptions = {},
): ExecutionResult | Promise<ExecutionResult> {
  const started = performance.now();
  const runtimeMs = (): number => performance.now() - started;
  const limits = resolveTimeLimits(context.request.timeLimit, task.options, options.timeLimits);
  const unlimited = limits.hard === undefined && limits.soft === undefined;

  let run: HandlerRun;
  try {
    const args = bindArguments(task.name, task.options.params, context.request.args, context.request.kwargs);
    if (task.options.isolate === 'thread') {
      run = startInThread(task, args, context, options.threads);
    } else {
      const here = startHere(task, args, context, options.crashes);
      if (here.settled) return { ...here.settled, runtimeMs: runtimeMs() } as ExecutionResult;
      run = here.run;
    }
  } catch (error) {
    return { ok: false, error, runtimeMs: runtimeMs() };
  }
  if (unlimited) {
    return run.result.then(
      (value) => ({ ok: true, value, runtimeMs: runtimeMs() }),
      (error: unknown) => ({ ok: false, error, runtimeMs: runtimeMs() }),
    );
  }
  return underLimits(run, limits, `${task.name}[${context.id}]`, started, runtimeMs, options.logger);
}

/** Wait for a run, aborting its signal at the soft limit and giving up on it at the hard one. */
async function underLimits(
  run: HandlerRun,
  limits: { soft?: number | undefined; hard?: number | undefined },
  label: string,
  started: number,
  runtimeMs: () => number,
  logger: Logger | undefined,
): Promise<ExecutionResult> {
  const timers: NodeJS.Timeout[] = [];
  let settled = false;
  try {
    return await new Promise<ExecutionResult>((resolve) => {
      run.result.then(
        (value) => resolve({ ok: true, value, runtimeMs: runtimeMs() }),
        (error: unknown) => resolve({ ok: false, error, runtimeMs: runtimeMs() }),
      );
      const { soft, hard } = limits;
      const startTimers = (): void => {
        if (settled) return;
        // A soft limit at or past the hard one would never come first: the hard limit aborts the signal.
        if (soft !== undefined && (hard === undefined || soft < hard)) {
          timers.push(setTimeout(() => run.abort(new SoftTimeLimitExceeded(soft, label)), toTimerMs(soft)));
        }
        if (hard !== undefined) {
          timers.push(
            setTimeout(() => {
              const error = new TimeLimitExceeded(hard, label, run.stopped);
              run.stop(error);
              logger?.warn(`Task ${label} reached its hard time limit of ${hard} s: marked failed; ${run.stopped}.`);
              watchAbandoned(run.result, label, started, logger);
              resolve({ ok: false, error, runtimeMs: runtimeMs() });
            }, toTimerMs(hard)),
          );
        }
      };
      if (run.started) void run.started.then(startTimers);
      else startTimers();
    });
  } finally {
    settled = true;
    for (const timer of timers) clearTimeout(timer);
  }
}

/** The context a handler sees; its AbortController is only made if someone reads the signal or a limit aborts it. */
function runContext(context: ExecutionContext): TaskContext & { abort(reason: Error): void } {
  let controller: AbortController | undefined;
  return {
    ...context,
    get signal(): AbortSignal {
      controller ??= new AbortController();
      return controller.signal;
    },
    abort(reason: Error): void {
      controller ??= new AbortController();
      if (!controller.signal.aborted) controller.abort(reason);
    },
  };
}

type SettledRun = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Run the handler in this thread: it can only be asked to stop, through its signal. A handler
 * that returns or throws synchronously is `settled` at once; one that returns a promise is a `run`.
 */
function startHere(
  task: Task<unknown[], unknown>,
  args: unknown[],
  context: ExecutionContext,
  crashes: CrashRegistry | undefined,
): { settled: SettledRun; run?: undefined } | { settled?: undefined; run: HandlerRun } {
  const here = runContext(context);
  // Registered before the handler starts: it may schedule a throwing callback and still return
  // synchronously. A crash fails the run's one promise (or, before it exists, is kept for it).
  let fail: ((error: unknown) => void) | undefined;
  let crashedEarly: { error: unknown } | undefined;
  const unregister = crashes?.register(here, (error) => {
    if (fail) fail(error);
    else crashedEarly ??= { error };
  });
  let returned: unknown;
  try {
    returned = runInTaskContext(here, () => task.handler(...args));
  } catch (error) {
    unregister?.();
    return { settled: { ok: false, error } };
  }
  if (!isThenable(returned)) {
    unregister?.();
    return { settled: { ok: true, value: returned } };
  }
  const abort = (reason: Error): void => here.abort(reason);
  const thenable = returned;
  // One promise per run, settled by the handler or by a crash pinned on it, whichever comes first.
  const result = new Promise<unknown>((resolve, reject) => {
    if (crashedEarly) {
      reject(crashedEarly.error);
      return;
    }
    fail = reject;
    thenable.then(resolve, reject);
  });
  if (unregister) result.then(unregister, unregister);
  return {
    run: {
      result,
      abort,
      stop: abort,
      stopped: "JavaScript cannot stop a running function, so its handler may still be running (isolate: 'thread' can stop CPU-bound work)",
    },
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Run the handler in a task thread, which the hard limit terminates. */
function startInThread(
  task: Task<unknown[], unknown>,
  args: unknown[],
  context: ExecutionContext,
  threads: ThreadPool | undefined,
): HandlerRun {
  if (!threads) {
    throw new TaskqError('THREAD_POOL_MISSING', `Task ${task.name} has isolate: 'thread', but this executor was given no thread pool.`);
  }
  const { id, name, kwargs, retries, redelivered, queue, request } = context;
  const run = threads.run(task.name, args, { id, name, kwargs, retries, redelivered, queue, request });
  return {
    result: run.result,
    started: run.started,
    abort: (reason) => run.abort(reason),
    stop: () => run.terminate(),
    stopped: 'its worker thread was terminated',
  };
}

/** Log when a handler left behind at its hard limit finishes after all, so operators see it. */
function watchAbandoned(result: Promise<unknown>, label: string, started: number, logger: Logger | undefined): void {
  const late = (how: string) => () =>
    logger?.warn(
      `Task ${label} ${how} ${((performance.now() - started) / 1000).toFixed(3)} s after it started, past its hard time limit; the outcome was discarded.`,
    );
  result.then(late('returned'), late('threw'));
}

function toTimerMs(seconds: number): number {
  return Math.min(Math.round(seconds * 1000), MAX_TIMER_MS);
}
