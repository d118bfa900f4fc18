import { ResultTimeoutError, TaskFailedError, TaskqError } from '../errors';
import { beforeDeadline } from '../transport/deadline';
import { READY_STATES, readExceptionInfo, type ResultMeta } from '../protocol';

/** Options for {@link AsyncResult.get}. */
export interface GetOptions {
  /**
   * Give up after this many milliseconds with a {@link ResultTimeoutError}.
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
    const meta = await withTimeout(this.source.waitFor(this.id), options.timeout, this.id);
    return unwrapResult<R>(meta);
  }
}

/** Turn a final result document into a value or a thrown {@link TaskFailedError}. */
export function unwrapResult<R>(meta: ResultMeta): R {
  if (meta.status === 'SUCCESS') return meta.result as R;
  const info = readExceptionInfo(meta.result);
  throw new TaskFailedError(meta.task_id, info.type, info.module, info.message, meta.traceback ?? undefined, meta.status);
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number | undefined, taskId: string): Promise<T> {
  if (timeoutMs === undefined || !Number.isFinite(timeoutMs)) return promise;
  if (!(timeoutMs >= 0)) {
    return Promise.reject(new TaskqError('INVALID_OPTION', `get({ timeout }) must be a number of milliseconds ≥ 0, found ${timeoutMs}.`));
  }
  return beforeDeadline(promise, Date.now() + timeoutMs, () => new ResultTimeoutError(taskId, timeoutMs));
}
