import { TaskqError } from './errors';

/** An error class, or an error's `name`, that makes a task retry automatically. */
export type RetryableError = (abstract new (...args: never[]) => Error) | string;

/** Per-task retry settings (Celery's task attributes of the same names), given to `app.task()`. */
export interface RetrySettings {
  /**
   * How many times the task may be retried; `null` retries forever. With 2 the task runs at most
   * 3 times. @defaultValue 3 (Celery's `max_retries`)
   */
  maxRetries?: number | null;
  /**
   * Errors that retry the task automatically: classes (matched with `instanceof`) or names
   * (matched against the error's `name` and its class chain, e.g. `'TimeoutError'`).
   * @defaultValue none (Celery's `autoretry_for`)
   */
  autoretryFor?: readonly RetryableError[];
  /**
   * Exponential backoff for automatic retries: `true` (base 1 s) or a base in seconds; the n-th
   * retry waits `base * 2^n` seconds, capped by `retryBackoffMax`. @defaultValue false (Celery's `retry_backoff`)
   */
  retryBackoff?: boolean | number;
  /** Cap of the backoff, in seconds. @defaultValue 600 (Celery's `retry_backoff_max`) */
  retryBackoffMax?: number;
  /** Full jitter: wait a random whole number of seconds from 0 to the backoff. @defaultValue true (Celery's `retry_jitter`) */
  retryJitter?: boolean;
  /**
   * Seconds before a retry that gave no countdown or eta (and automatic retries without backoff).
   * @defaultValue 180 (Celery's `default_retry_delay`)
   */
  defaultRetryDelay?: number;
}

/** {@link RetrySettings} with every default applied. */
export interface RetryPolicy {
  maxRetries: number | null;
  autoretryFor: readonly RetryableError[];
  /** Backoff base in seconds; 0 = no backoff. */
  backoffBase: number;
  backoffMax: number;
  jitter: boolean;
  defaultRetryDelay: number;
}

/** Celery's defaults. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxRetries: 3,
  autoretryFor: [],
  backoffBase: 0,
  backoffMax: 600,
  jitter: true,
  defaultRetryDelay: 180,
});

/**
 * Validate a task's retry settings and apply the defaults. Every problem is reported at once,
 * naming the task, so a typo fails at `app.task()` rather than at the first failure.
 */
export function resolveRetryPolicy(taskName: string, settings: RetrySettings): RetryPolicy {
  const problems: string[] = [];
  const { maxRetries, autoretryFor, retryBackoff, retryBackoffMax, retryJitter, defaultRetryDelay } = settings;
  if (maxRetries !== undefined && maxRetries !== null && !(Number.isInteger(maxRetries) && maxRetries >= 0)) {
    problems.push(`maxRetries must be a whole number ≥ 0 or null (retry forever), found ${String(maxRetries)}`);
  }
  if (autoretryFor !== undefined) {
    if (!Array.isArray(autoretryFor)) {
      problems.push(`autoretryFor must be a list of error classes or error names, found ${typeof autoretryFor}`);
    } else {
      autoretryFor.forEach((entry, i) => {
        if (!(typeof entry === 'function' || (typeof entry === 'string' && entry !== ''))) {
          problems.push(
            `autoretryFor[${i}] must be an error class or a non-empty error name, found ${entry === null ? 'null' : typeof entry}`,
          );
        }
      });
    }
  }
  if (retryBackoff !== undefined && typeof retryBackoff !== 'boolean' && !isPositiveNumber(retryBackoff)) {
    problems.push(`retryBackoff must be true, false or a base in seconds > 0, found ${String(retryBackoff)}`);
  }
  if (retryBackoffMax !== undefined && !isPositiveNumber(retryBackoffMax)) {
    problems.push(`retryBackoffMax must be a number of seconds > 0, found ${String(retryBackoffMax)}`);
  }
  if (retryJitter !== undefined && typeof retryJitter !== 'boolean') {
    problems.push(`retryJitter must be true or false, found ${String(retryJitter)}`);
  }
  if (
    defaultRetryDelay !== undefined &&
    !(typeof defaultRetryDelay === 'number' && Number.isFinite(defaultRetryDelay) && defaultRetryDelay >= 0)
  ) {
    problems.push(`defaultRetryDelay must be a number of seconds ≥ 0, found ${String(defaultRetryDelay)}`);
  }
  if (problems.length) {
    throw new TaskqError('INVALID_TASK', `Invalid retry settings for task '${taskName}': ${problems.join('; ')}.`);
  }
  return {
    maxRetries: maxRetries === undefined ? DEFAULT_RETRY_POLICY.maxRetries : maxRetries,
    autoretryFor: autoretryFor ?? DEFAULT_RETRY_POLICY.autoretryFor,
    backoffBase: retryBackoff === true ? 1 : typeof retryBackoff === 'number' ? retryBackoff : 0,
    backoffMax: retryBackoffMax ?? DEFAULT_RETRY_POLICY.backoffMax,
    jitter: retryJitter ?? DEFAULT_RETRY_POLICY.jitter,
    defaultRetryDelay: defaultRetryDelay ?? DEFAULT_RETRY_POLICY.defaultRetryDelay,
  };
}

function isPositiveNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}
