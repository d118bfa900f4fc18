import {
  buildResultMeta, exceptionInfo, shortRepr, type ResultStore, type TaskRequest, type TaskState,
} from '@taskq/core';

/**
 * Turns a task's outcome into Celery's result document and hands it to the app's result store
 * (rpc reply or Redis). A value that cannot be encoded becomes the task's failure.
 */
export class ResultReporter {
  constructor(private readonly store: ResultStore) {}

  /** True when the caller asked for a result and can receive one. */
  wantsResult(request: TaskRequest): boolean {
    return this.store.wantsResult(request);
  }

  async success(request: TaskRequest, value: unknown): Promise<void> {
    try {
      await this.store.store(request, this.meta(request, 'SUCCESS', value, null));
    } catch (error) {
      // The value cannot travel (a function, a cycle…): the caller gets that as the failure.
      await this.failure(request, error);
    }
  }

  failure(request: TaskRequest, error: unknown, state: TaskState = 'FAILURE'): Promise<void> {
    const traceback = error instanceof Error ? (error.stack ?? null) : null;
    return this.store.store(request, this.meta(request, state, exceptionInfo(error), traceback));
  }

  /** Celery's RETRY document (`mark_as_retry`): the error that caused the retry. Not a final state: `get()` keeps waiting. */
  retry(request: TaskRequest, error: unknown): Promise<void> {
    return this.failure(request, error, 'RETRY');
  }

  private meta(request: TaskRequest, status: TaskState, result: unknown, traceback: string | null) {
    return buildResultMeta({
      taskId: request.id,
      status,
      result,
      traceback,
      ...(request.groupId ? { groupId: request.groupId } : {}),
      ...(request.parentId ? { parentId: request.parentId } : {}),
    });
  }
}

/** A short, log-friendly rendering of a result value. */
export function describeValue(value: unknown): string {
  return value === undefined ? 'undefined' : shortRepr(value);
}
