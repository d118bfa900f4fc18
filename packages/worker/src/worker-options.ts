import { availableParallelism } from 'node:os';

/** Options for {@link Worker}. */
export interface WorkerOptions {
  /** Queues to consume. @defaultValue the app's default queue */
  queues?: string[];
  /**
   * Hard limit on tasks running at once; also the prefetch, so a high-priority message waits
   * behind at most this many lower-priority ones. @defaultValue the number of CPUs (as Celery)
   */
  concurrency?: number;
  /**
   * Prefetch = concurrency × this (Celery's `worker_prefetch_multiplier`). Above 1 the worker keeps
   * that many more messages at hand, so it waits less for the broker between short tasks and acks
   * them in batches; the price is priority: a high-priority message can then wait behind up to
   * `concurrency × (prefetchMultiplier − 1)` lower-priority ones already prefetched.
   * Never more than `concurrency` run at once. @defaultValue 1 (strict priority)
   */
  prefetchMultiplier?: number;
  /**
   * How long `stop()` waits for running tasks before closing the channel (unfinished tasks are
   * then redelivered by the broker). @defaultValue 30000 ms
   */
  drainTimeoutMs?: number;
  /** Serializer used for result messages. @defaultValue 'json' (Celery's result_serializer) */
  resultSerializer?: string;
  /**
   * Hard time limit in seconds for tasks that set none (CLI `--time-limit`): past it a task is
   * marked failed with `TimeLimitExceeded`, acked, and its slot freed. The message's `timelimit`
   * header and the task's `timeLimit` win. @defaultValue none
   */
  timeLimit?: number;
  /**
   * Soft time limit in seconds for tasks that set none (CLI `--soft-time-limit`): the task's
   * `currentTask().signal` aborts with `SoftTimeLimitExceeded`. @defaultValue none
   */
  softTimeLimit?: number;
  /**
   * A message that comes back from the broker redelivered this many times — each time the worker
   * holding it died (process.exit, out of memory, kill -9) or lost its broker connection — is
   * dead-lettered with reason `worker-crash` instead of being run again (CLI `--max-redeliveries`).
   * Each redelivered message first runs alone on its worker, so a crash is pinned on it and not on
   * the tasks beside it. @defaultValue 3
   */
  maxRedeliveries?: number;
  /**
   * How long a finished task's result is held while the result backend (Redis) is unreachable,
   * stored again with backoff, before the message is dead-lettered with reason
   * `result-backend-unavailable` and the result kept in its `x-taskq-result` header. The task never
   * runs again because its result could not be stored; no new task starts meanwhile. Keep it under
   * RabbitMQ's `consumer_timeout` (30 min). CLI `--result-store-timeout` (seconds). @defaultValue 300000 ms
   */
  resultStoreTimeoutMs?: number;
  /**
   * Install `uncaughtException` and `unhandledRejection` handlers while the worker runs: an error
   * raised in a task's async context (a timer, a callback, a promise nobody awaited) fails that
   * task and the worker keeps running; any other such error logs, acks what finished, and exits
   * the process with code 1 (as Node would). Set false when your application installs its own.
   * @defaultValue true
   */
  handleProcessErrors?: boolean;
}

export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

/** AMQP's prefetch count is a 16-bit field. */
export const MAX_PREFETCH = 65535;

/** The default concurrency: one task per CPU, like Celery's prefork pool. */
export function defaultConcurrency(): number {
  return Math.max(1, availableParallelism());
}
