import { TaskqError } from './errors';

/** What a handler may ask for when it requests a retry (Celery's `Task.retry()` arguments). */
export interface RetryRequest {
  /**
   * Seconds to wait before the next attempt.
   * @defaultValue the task's `defaultRetryDelay` (180 s, Celery's `default_retry_delay`)
   */
  countdown?: number;
  /** Run the next attempt no earlier than this time (instead of `countdown`). */
  eta?: Date | string;
  /**
   * The error that made the retry necessary: shown while the task is in state RETRY, and
   * reported as the task's failure when no retries are left.
   */
  error?: unknown;
  /** Overrides the task's `maxRetries` for this decision. */
  maxRetries?: number | null;
}

/**
 * Thrown by a handler (or by `currentTask().retry()`) to run the task again later, as Celery's
 * `raise self.retry(...)`. The worker re-publishes a copy with `retries + 1` through the broker's
 * delay queues, reports state RETRY, and acks the original; past `maxRetries` the task fails
 * with `error` (or a {@link MaxRetriesExceededError}) and is dead-lettered.
 */
export class Retry extends TaskqError {
  declare readonly code: 'TASK_RETRY';
  readonly countdown: number | undefined;
  readonly eta: Date | undefined;
  readonly error: unknown;
  readonly maxRetries: number | null | undefined;

  constructor(request: RetryRequest = {}) {
    const { countdown, eta, maxRetries } = request;
    const when =
      countdown !== undefined
        ? ` in ${String(countdown)}s`
        : eta !== undefined
          ? ` at ${eta instanceof Date && !Number.isNaN(eta.getTime()) ? eta.toISOString() : String(eta)}`
          : '';
    const reason =
      request.error instanceof Error ? `: ${request.error.message}` : request.error !== undefined ? `: ${String(request.error)}` : '';
    // Celery's wording ("Retry in 30s: reason").
    super('TASK_RETRY', `Retry${when}${reason}`, request.error !== undefined ? { cause: request.error } : undefined);
    if (countdown !== undefined && !(typeof countdown === 'number' && Number.isFinite(countdown) && countdown >= 0)) {
      throw new TaskqError('INVALID_OPTION', `Retry countdown must be a number of seconds ≥ 0, found ${String(countdown)}.`);
    }
    if (countdown !== undefined && eta !== undefined) {
      throw new TaskqError('INVALID_OPTION', 'Retry takes either countdown or eta, not both.');
    }
    const etaDate = eta === undefined ? undefined : eta instanceof Date ? eta : new Date(eta);
    if (etaDate && Number.isNaN(etaDate.getTime())) {
      throw new TaskqError('INVALID_OPTION', `Retry eta must be a Date or an ISO 8601 string, found ${JSON.stringify(eta)}.`);
    }
    if (maxRetries !== undefined && maxRetries !== null && !(Number.isInteger(maxRetries) && maxRetries >= 0)) {
      throw new TaskqError(
        'INVALID_OPTION',
        `Retry maxRetries must be a whole number ≥ 0 or null (no limit), found ${String(maxRetries)}.`,
      );
    }
    this.countdown = countdown;
    this.eta = etaDate;
    this.error = request.error;
    this.maxRetries = maxRetries;
  }
}

/**
 * Thrown by a handler to refuse its message for good, as Celery's `Reject(requeue=False)`: the
 * message goes to the dead-letter queue (reason `rejected`) and the caller's result is REJECTED.
 */
export class Reject extends TaskqError {
  declare readonly code: 'TASK_REJECTED';

  constructor(readonly reason = 'rejected by the task') {
    super('TASK_REJECTED', reason);
  }
}

/** The task asked for (or was due) a retry but had used all its retries; no `error` was given. */
export class MaxRetriesExceededError extends TaskqError {
  declare readonly code: 'MAX_RETRIES_EXCEEDED';

  constructor(
    readonly taskName: string,
    readonly taskId: string,
    readonly maxRetries: number,
  ) {
    super('MAX_RETRIES_EXCEEDED', `Can't retry ${taskName}[${taskId}]: it was retried ${maxRetries} time(s), its maxRetries.`);
  }
}
