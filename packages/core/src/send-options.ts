/** Options for sending one task (`apply_async` / `applyAsync` / `sendTask`). */
export interface SendOptions {
  /** Queue to send to. Overrides routing files. @defaultValue from the routing files, else the default queue */
  queue?: string;
  /** Exchange to publish to (with `routingKey`). @defaultValue the queue's exchange */
  exchange?: string;
  /** Routing key to publish with. @defaultValue the queue's routing key */
  routingKey?: string;
  /** Message priority 0–255; higher runs first (capped by the queue's x-max-priority). @defaultValue routing defaults' `priority`, else none */
  priority?: number;
  /** Serializer name: 'json', 'msgpack', 'yaml' or a registered one. @defaultValue 'json' (or the routing defaults') */
  serializer?: string;
  /** Keyword arguments (Celery kwargs), for tasks that take them, such as Python tasks. */
  kwargs?: Record<string, unknown>;
  /** The task id. @defaultValue a random UUID */
  taskId?: string;
  /** Extra message headers, merged into the protocol headers. */
  headers?: Record<string, unknown>;
  /** Run no earlier than this many seconds from now (kept in the broker, not in worker memory). */
  countdown?: number;
  /** Run no earlier than this time. */
  eta?: Date | string;
  /** Do not run after this time (a Date/ISO string) or this many seconds from now (a number). */
  expires?: Date | string | number;
  /** Do not send a result back; `get()` on the returned handle rejects. @defaultValue false */
  ignoreResult?: boolean;
  /**
   * Hard time limit in seconds for this call (Celery's `time_limit`; the `timelimit` header's
   * first element). Wins over the task's and the worker's. @defaultValue the task's, else the worker's
   */
  timeLimit?: number;
  /**
   * Soft time limit in seconds for this call (Celery's `soft_time_limit`; the header's second
   * element). @defaultValue the task's, else the worker's
   */
  softTimeLimit?: number;
}

/** The keys of {@link SendOptions}, to reject misspelt options from JavaScript callers. */
export const SEND_OPTION_KEYS: ReadonlySet<string> = new Set([
  'queue',
  'exchange',
  'routingKey',
  'priority',
  'serializer',
  'kwargs',
  'taskId',
  'headers',
  'countdown',
  'eta',
  'expires',
  'ignoreResult',
  'timeLimit',
  'softTimeLimit',
]);
