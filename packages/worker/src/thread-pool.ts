import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import {
  Reject,
  Retry,
  SoftTimeLimitExceeded,
  TaskqError,
  TimeLimitExceeded,
  type AppOverrides,
  type Logger,
  type TaskqApp,
} from '@taskq/core';
import {
  reviveError,
  serializeError,
  type ErrorClasses,
  type FromThread,
  type SerializedError,
  type ThreadData,
  type ThreadTaskContext,
  type ToThread,
} from './thread-protocol';
import { findTsx, isTypeScript } from './tasks-module';

/** Errors that keep their class when they come back from a thread. */
const ERROR_CLASSES: ErrorClasses = {
  SOFT_TIME_LIMIT: SoftTimeLimitExceeded,
  TIME_LIMIT: TimeLimitExceeded,
  TASK_RETRY: Retry,
  TASK_REJECTED: Reject,
};

/** One task handed to a thread. */
export interface ThreadRun {
  /** Settles with the handler's value or error; never settles after {@link ThreadRun.terminate}. */
  readonly result: Promise<unknown>;
  /**
   * Resolves when the task was handed to a thread that has loaded the tasks module: time limits
   * count from here, so waiting for a free thread or a fresh thread's module load does not eat
   * into them. Never rejects (a thread that fails to load rejects {@link ThreadRun.result}).
   */
  readonly started: Promise<void>;
  /** Abort the task's `currentTask().signal` inside its thread (the soft limit). */
  abort(reason: Error): void;
  /** Terminate the task's thread (the hard limit); a fresh thread takes its place. */
  terminate(): void;
}

/** Options for {@link ThreadPool}. */
export interface ThreadPoolOptions {
  /** Most threads alive at once: the worker's concurrency. */
  size: number;
  /** The tasks module every thread loads (the app's `sourceModule`), read when a thread starts. */
  modulePath: () => string | undefined;
  /** The app's configure() overrides, applied in every thread (read when a thread starts). */
  overrides?: () => Omit<AppOverrides, 'logger'>;
  logger: Logger;
}

/**
 * Threads that run `isolate: 'thread'` tasks. Each loads the app's tasks module once and then runs
 * tasks one at a time; threads start on first need, stay for the next task, and one that was
 * terminated (hard limit) or crashed is replaced at once, so the next task finds it warm.
 */
export class ThreadPool {
  private readonly all = new Set<TaskThread>();
  private readonly idle: TaskThread[] = [];
  private readonly waiting: Array<{ resolve: (thread: TaskThread) => void; reject: (error: unknown) => void }> = [];
  private closed = false;
  private nextRunId = 1;

  constructor(private readonly options: ThreadPoolOptions) {}

  /** Threads alive now (idle, busy or starting). */
  get size(): number {
    return this.all.size;
  }

  /** Start `taskName` with `args` (already bound) in a thread. */
  run(taskName: string, args: unknown[], context: ThreadTaskContext): ThreadRun {
    const runId = this.nextRunId++;
    let thread: TaskThread | undefined;
    let abortReason: Error | undefined;
    let terminated = false;
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const result = this.acquire().then(async (acquired) => {
      if (terminated) {
        this.release(acquired);
        return new Promise<never>(() => undefined);
      }
      thread = acquired;
      if (abortReason) acquired.abort(runId, abortReason);
      try {
        return await acquired.run(runId, taskName, args, context, markStarted);
      } finally {
        if (!terminated) this.release(acquired);
      }
    });
    return {
      result,
      started,
      abort: (reason) => {
        abortReason = reason;
        thread?.abort(runId, reason);
      },
      terminate: () => {
        terminated = true;
        if (thread) void thread.terminate();
      },
    };
  }

  /** Terminate every thread. Tasks still running in them never settle: the broker redelivers them. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.reject(new TaskqError('CLOSED', 'The worker is stopping.'));
    await Promise.all([...this.all].map((thread) => thread.terminate()));
  }

  private acquire(): Promise<TaskThread> {
    if (this.closed) return Promise.reject(new TaskqError('CLOSED', 'The worker is stopping.'));
    const idle = this.idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.all.size < this.options.size) {
      try {
        return Promise.resolve(this.spawn());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(thread: TaskThread): void {
    if (thread.dead || this.closed) return;
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve(thread);
    else this.idle.push(thread);
  }

  private spawn(): TaskThread {
    const modulePath = this.options.modulePath();
    if (!modulePath) {
      throw new TaskqError(
        'THREAD_MODULE_UNKNOWN',
        "A task with isolate: 'thread' needs the path of the module that defines the app: start the worker with " +
          '`taskq worker --app <module>`, or call app.setSourceModule(__filename) in that module.',
      );
    }
    const data = { ...threadData(modulePath), overrides: this.options.overrides?.() ?? {} };
    const thread = new TaskThread(entryPath(), data, (gone) => this.onGone(gone));
    this.all.add(thread);
    return thread;
  }

  private onGone(thread: TaskThread): void {
    this.all.delete(thread);
    const index = this.idle.indexOf(thread);
    if (index !== -1) this.idle.splice(index, 1);
    // Replace a thread that had loaded the module; one that could not load it would fail again.
    if (this.closed || !thread.loaded) return;
    try {
      const fresh = this.spawn();
      const waiter = this.waiting.shift();
      if (waiter) waiter.resolve(fresh);
      else this.idle.push(fresh);
    } catch (error) {
      this.options.logger.error('Could not start a replacement task thread', error);
    }
  }
}

/** Fail fast when a task needs a thread but nobody told the app which module defines it. */
export function checkThreadTasks(app: TaskqApp): void {
  if (app.sourceModule) return;
  const isolated = app.tasks.names().filter((name) => app.tasks.find(name)?.options.isolate === 'thread');
  if (isolated.length === 0) return;
  throw new TaskqError(
    'THREAD_MODULE_UNKNOWN',
    `Task(s) ${isolated.join(', ')} have isolate: 'thread', which loads the app's module in worker threads, but the app does ` +
      'not know its module: start the worker with `taskq worker --app <module>`, or call app.setSourceModule(__filename) ' +
      'in the module that creates the app.',
  );
}

/** One `node:worker_threads` thread and the task it is running. */
class TaskThread {
  readonly ready: Promise<void>;
  loaded = false;
  dead = false;
  private readonly thread: Thread;
  private current: { runId: number; resolve: (value: unknown) => void; reject: (error: unknown) => void } | undefined;
  private pendingAbort: Extract<ToThread, { type: 'abort' }> | undefined;

  constructor(entry: string, data: ThreadData, onGone: (thread: TaskThread) => void) {
    this.thread = new Thread(entry, { workerData: data });
    // An idle thread must not keep the process alive; a busy one does (see run()).
    this.thread.unref();
    let readyResolve!: () => void;
    let readyReject!: (error: unknown) => void;
    this.ready = new Promise((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    this.ready.catch(() => undefined);
    this.thread.on('message', (message: FromThread) => {
      switch (message.type) {
        case 'ready':
          this.loaded = true;
          readyResolve();
          break;
        case 'load-failed':
          readyReject(loadError(data, message.error));
          void this.terminate();
          break;
        case 'done':
          if (this.current?.runId !== message.runId) return;
          if (message.ok) this.finish((run) => run.resolve(message.value));
          else this.finish((run) => run.reject(reviveError(message.error, ERROR_CLASSES)));
          break;
      }
    });
    // An error nothing caught inside the thread (e.g. thrown from a timer callback) ends the thread.
    this.thread.on('error', (error) => {
      this.dead = true; // 'exit' follows; meanwhile the pool must not hand this thread out again
      readyReject(error);
      this.finish((run) => run.reject(error));
    });
    this.thread.on('exit', (code) => {
      this.dead = true;
      const error = new TaskqError('THREAD_EXITED', `A task thread exited (code ${code}) while running a task.`);
      readyReject(error);
      this.finish((run) => run.reject(error));
      onGone(this);
    });
  }

  async run(runId: number, taskName: string, args: unknown[], context: ThreadTaskContext, onStarted?: () => void): Promise<unknown> {
    this.thread.ref();
    try {
      await this.ready;
    } catch (error) {
      this.thread.unref();
      throw error;
    }
    return new Promise((resolve, reject) => {
      const message: ToThread = { type: 'run', runId, taskName, args, context };
      try {
        this.thread.postMessage(message);
      } catch (error) {
        // Arguments that structured clone refuses: the task fails, the thread stays usable.
        this.thread.unref();
        reject(new TypeError(`The arguments of task ${taskName} cannot be passed to a worker thread: ${(error as Error).message}`));
        return;
      }
      this.current = { runId, resolve, reject };
      onStarted?.();
      if (this.pendingAbort?.runId === runId) this.thread.postMessage(this.pendingAbort);
      this.pendingAbort = undefined;
    });
  }

  abort(runId: number, reason: Error): void {
    const message: ToThread = { type: 'abort', runId, reason: serializeError(reason) };
    if (this.current?.runId === runId) this.thread.postMessage(message);
    else this.pendingAbort = message;
  }

  /** Stop the thread; the task it runs is abandoned (its promise never settles). */
  async terminate(): Promise<void> {
    this.current = undefined;
    this.dead = true;
    await this.thread.terminate();
  }

  private finish(settle: (run: NonNullable<TaskThread['current']>) => void): void {
    const run = this.current;
    if (!run) return;
    this.current = undefined;
    this.thread.unref();
    settle(run);
  }
}

function loadError(data: ThreadData, error: SerializedError): TaskqError {
  const hint =
    isTypeScript(data.modulePath) && !data.tsx?.cjs
      ? ' It is TypeScript and tsx was not found next to it or the program: install tsx, or build the module to JavaScript.'
      : '';
  return new TaskqError(
    'THREAD_LOAD_FAILED',
    `A worker thread could not load the tasks module ${data.modulePath}: ${error.name}: ${error.message}.${hint}`,
    { cause: reviveError(error) },
  );
}

function threadData(modulePath: string): ThreadData {
  if (!isTypeScript(modulePath)) return { modulePath };
  // tsx compiles .ts; the CLI has it, so look next to the module, then the program.
  return { modulePath, tsx: findTsx([modulePath, require.main?.filename, process.argv[1]]) };
}

/** The compiled thread program; from source (ts-jest), the package's built copy. */
function entryPath(): string {
  const here = join(__dirname, 'thread-entry.js');
  if (existsSync(here)) return here;
  const built = join(__dirname, '..', 'dist', 'thread-entry.js');
  if (existsSync(built)) return built;
  throw new TaskqError('THREAD_LOAD_FAILED', `The task thread program was not found at ${here}: build @taskq/worker (pnpm build).`);
}
