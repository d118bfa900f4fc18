import { MaxRetriesExceededError, Reject, Retry, type TaskqError, type RetryableError, type RetryPolicy } from '@taskq/core';

/**
 * What happens after a handler threw: Celery's decisions (`Task.retry`, `autoretry_for`,
 * `Reject`) as one pure function, so every branch is unit-tested without a broker.
 */
export type FailureDecision =
  /** Not a retry: the error is the task's result (FAILURE), and the message is acked. */
  | { kind: 'fail'; error: unknown }
  /** Run again after `delayMs`: a copy with `retries + 1` goes into the broker's delay queues. */
  | { kind: 'retry'; error: unknown; delayMs: number; explicit: boolean }
  /** A retry was due but none is left: FAILURE with `error`, and the message is dead-lettered (`max-retries`). */
  | { kind: 'exhausted'; error: unknown; maxRetries: number }
  /** The handler threw `Reject`: dead-letter (`rejected`), result REJECTED. */
  | { kind: 'reject'; error: Error };

/** What {@link decideFailure} needs to know. */
export interface FailureInput {
  error: unknown;
  policy: RetryPolicy;
  /** The request's `retries`: how many retries came before this run. */
  retries: number;
  taskName: string;
  taskId: string;
  /** Now, in ms since the epoch (for a Retry's eta). */
  now: number;
  /** A source of uniform numbers in [0, 1), for jitter. @defaultValue Math.random */
  random?: () => number;
}

/**
 * Decide what a thrown error means. `Reject` rejects; `Retry` retries (countdown, else eta, else
 * `defaultRetryDelay`); an error matching `autoretryFor` retries with the exponential backoff
 * when `retryBackoff` is set, else after `defaultRetryDelay`. A retry past `maxRetries`
 * (`retries + 1 > maxRetries`, Celery's test) is exhausted: the task fails with the error that
 * caused it — a Retry's own `error`, else {@link MaxRetriesExceededError}.
 */
export function decideFailure(input: FailureInput): FailureDecision {
  const { error, policy, retries } = input;
  if (isReject(error)) return { kind: 'reject', error: error as Error };

  const retry = asRetry(error);
  if (retry) {
    const maxRetries = retry.maxRetries === undefined ? policy.maxRetries : retry.maxRetries;
    if (maxRetries !== null && retries + 1 > maxRetries) {
      const cause = retry.error !== undefined ? retry.error : new MaxRetriesExceededError(input.taskName, input.taskId, maxRetries);
      return { kind: 'exhausted', error: cause, maxRetries };
    }
    const delayMs =
      retry.countdown !== undefined
        ? retry.countdown * 1000
        : retry.eta !== undefined
          ? Math.max(0, retry.eta.getTime() - input.now)
          : policy.defaultRetryDelay * 1000;
    return { kind: 'retry', error: retry.error !== undefined ? retry.error : error, delayMs, explicit: true };
  }

  // A hard time limit is never retried automatically: the abandoned handler may still be running
  // (Celery raises it outside the task, where autoretry_for cannot see it either).
  if (isHardTimeLimit(error) || !matchesAny(error, policy.autoretryFor)) return { kind: 'fail', error };
  if (policy.maxRetries !== null && retries + 1 > policy.maxRetries) return { kind: 'exhausted', error, maxRetries: policy.maxRetries };
  const seconds =
    policy.backoffBase > 0
      ? backoffSeconds({
          retries,
          base: policy.backoffBase,
          max: policy.backoffMax,
          jitter: policy.jitter,
          random: input.random ?? Math.random,
        })
      : policy.defaultRetryDelay;
  return { kind: 'retry', error, delayMs: seconds * 1000, explicit: false };
}

/**
 * Celery's `get_exponential_backoff_interval`: `min(max, base * 2^retries)` seconds; with full
 * jitter, a random whole number of seconds from 0 to that (so retries of many failing tasks
 * spread out instead of arriving together).
 */
export function backoffSeconds(input: { retries: number; base: number; max: number; jitter: boolean; random: () => number }): number {
  const ceiling = Math.min(input.max, input.base * 2 ** input.retries);
  if (!input.jitter) return ceiling;
  return Math.min(Math.floor(ceiling), Math.floor(input.random() * (Math.floor(ceiling) + 1)));
}

/** True when `error` is an instance of one of the classes, or has one of the names in its class chain. */
export function matchesAny(error: unknown, retryable: readonly RetryableError[]): boolean {
  if (retryable.length === 0 || error === null || typeof error !== 'object') return false;
  const names = errorNames(error);
  return retryable.some((entry) => (typeof entry === 'string' ? names.has(entry) : error instanceof entry));
}

function errorNames(error: object): Set<string> {
  const names = new Set<string>();
  const own = (error as { name?: unknown }).name;
  if (typeof own === 'string') names.add(own);
  for (let proto = Object.getPrototypeOf(error); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && name !== '') names.add(name);
  }
  return names;
}

function isHardTimeLimit(error: unknown): boolean {
  return error instanceof Error && (error as TaskqError).code === 'TIME_LIMIT';
}

// A Retry or Reject may arrive rebuilt from a worker thread (same code and fields, another class).
function isReject(error: unknown): boolean {
  return error instanceof Reject || (error instanceof Error && (error as TaskqError).code === 'TASK_REJECTED');
}

interface RetryFields {
  countdown: number | undefined;
  eta: Date | undefined;
  error: unknown;
  maxRetries: number | null | undefined;
}

function asRetry(error: unknown): RetryFields | undefined {
  if (error instanceof Retry) return error;
  if (!(error instanceof Error) || (error as TaskqError).code !== 'TASK_RETRY') return undefined;
  const fields = error as unknown as Record<string, unknown>;
  const eta = fields['eta'];
  return {
    countdown: typeof fields['countdown'] === 'number' ? fields['countdown'] : undefined,
    eta: eta instanceof Date ? eta : typeof eta === 'string' ? new Date(eta) : undefined,
    error: fields['error'],
    maxRetries:
      typeof fields['maxRetries'] === 'number' || fields['maxRetries'] === null ? (fields['maxRetries'] as number | null) : undefined,
  };
}
