import { ResultTimeoutError, TaskFailedError, TaskqError, type ResultBackendUnavailableError } from '../errors';
import { beforeDeadline } from '../transport/deadline';
import { READY_STATES, readExceptionInfo, type ResultMeta } from '../protocol';

/** Options for {@link AsyncResult.get}. */
export interface GetOptions {
  /**
   * Give up after this many milliseconds with a {@link ResultTimeoutError}, or a
   * `RESULT_BACKEND_UNAVAILABLE` {@link ResultBackendUnavailableError} when the result backend was
   * unreachable meanwhile. Without it, `get()` waits through backend outages.
   * @defaultValue wait indefinitely (like Celery's `get()`)
   */
  timeout?: number;
}

/** Where an AsyncResult gets its outcome from (the rpc backend, or none when results are ignored). */
export interface ResultSource {
  /** Resolves with the task's final result document. */
  waitFor(taskId: string): Promise<ResultMeta>;
  /** The latest state seen for the task, or undefined. */
  peek(taskId: string): ResultMeta | undefined;
  /**
   * The error for a `get()` of `taskId` whose `timeoutMs` just passed, when the source knows a
   * better reason than "no result yet" (e.g. its server was unreachable during the wait), else
   * undefined for the plain {@link ResultTimeoutError}.
   */
  timeoutError?(taskId: string, timeoutMs: number): Error | undefined;
}

/**
 * A handle on a sent task's outcome. `get()` resolves with the return value, or rejects with a
 * {@link TaskFailedError} carrying the remote error's type, message and stack.
 */
export class AsyncResult<R = unknown> {
  constructor(
    /** The task id (also the message's correlation id). */
    readonly id: string,
    /** The task name the message was sent with. */
    readonly taskName: string,
    private readonly source: ResultSource | undefined,
  ) {}

  /** The last known state: PENDING until the worker reports. */
  get state(): string {
    return this.source?.peek(this.id)?.status ?? 'PENDING';
  }

  /** True once the task finished (successfully or not). */
  ready(): boolean {
    const meta = this.source?.peek(this.id);
    return meta !== undefined && READY_STATES.has(meta.status);
  }

  /** Wait for the task's return value. */
  async get(options: GetOptions = {}): Promise<R> {
    if (!this.source) {
      throw new TaskqError(
        'RESULT_IGNORED',
        `Task ${this.taskName}[${this.id}] was sent with ignoreResult (or the app's resultBackend is 'disabled'): ` +
          `no result will come back. Send it without ignoreResult, with a result backend, to read its result.`,
      );
    }
    const meta = await withTimeout(this.source, this.id, options.timeout);
    return unwrapResult<R>(meta);
  }
}

/** Turn a final result document into a value or a thrown {@link TaskFailedError}. */
export function unwrapResult<R>(meta: ResultMeta): R {
  if (meta.status === 'SUCCESS') return meta.result as R;
  const info = readExceptionInfo(meta.result);
  throw new TaskFailedError(meta.task_id, info.type, info.module, info.message, meta.traceback ?? undefined, meta.status);
}

function withTimeout(source: ResultSource, taskId: string, timeoutMs: number | undefined): Promise<ResultMeta> {
  if (timeoutMs === undefined || !Number.isFinite(timeoutMs)) return source.waitFor(taskId);
  if (!(timeoutMs >= 0)) {
    return Promise.reject(new TaskqError('INVALID_OPTION', `get({ timeout }) must be a number of milliseconds ≥ 0, found ${timeoutMs}.`));
  }
  const timedOut = (): Error => source.timeoutError?.(taskId, timeoutMs) ?? new ResultTimeoutError(taskId, timeoutMs);
  return beforeDeadline(source.waitFor(taskId), Date.now() + timeoutMs, timedOut);
}
