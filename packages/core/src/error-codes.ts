/**
 * Every `code` a {@link TaskqError} can carry, grouped, each with what it means. The type
 * {@link TaskqErrorCode} derives from the keys, so a misspelt code does not compile; the README's
 * Errors table lists every one (a unit test checks it).
 */
export const ERROR_CODES = {
  // Configuration and options
  CONFIG_INVALID: 'routing files or defaults are invalid (ConfigError lists every problem)',
  INVALID_OPTION: 'an option, send option or argument has a wrong value',
  INVALID_TASK: 'a task definition is wrong (name, handler, retry settings, time limits)',
  TASK_DUPLICATE: 'a task name is registered twice in one app',
  ROUTE_INVALID: 'an explicit routing option cannot reach a queue',
  DELAY_NEEDS_QUEUE: 'a delayed task (countdown/eta) is routed to no configured queue',
  APP_CONNECTED: 'configure() was called after the app sent its first task',
  INVALID_SCHEDULE: 'a periodic-task schedule or entry is wrong (cron fields, time zone, every(), entry options)',

  // Serializers
  UNKNOWN_SERIALIZER: 'no serializer is registered under that name or content type',
  SERIALIZER_FORBIDDEN: 'pickle was asked for: it is never used nor accepted',
  SERIALIZER_INVALID: 'a serializer to register has the wrong shape',
  SERIALIZER_CONFLICT: 'a serializer name or content type is registered twice',
  ACCEPT_LIST_INVALID: 'the accept list is empty or has an entry that is not a name or content type',
  SERIALIZATION_FAILED: 'arguments or a result cannot be encoded, or a payload decoded',

  // Broker connection
  BROKER_URL_INVALID: 'the broker URL cannot be parsed, is not amqp://, amqps:// or memory://, or has no host',
  BROKER_UNREACHABLE: 'the broker host cannot be resolved or reached, or refuses the connection',
  BROKER_AUTH_FAILED: 'the broker refused the login (403 ACCESS_REFUSED)',
  BROKER_VHOST_DENIED: 'the broker refused the virtual host (530 NOT_ALLOWED or 403)',
  BROKER_CONNECT_FAILED: 'connecting to the broker failed for another reason',
  BROKER_TLS_FAILED: 'TLS with the broker failed (the certificate does not verify)',
  TLS_FILE_UNREADABLE: 'a TLS file (CA, certificate, key) cannot be read',
  BROKER_RECONNECT_FAILED: 'recovery gave up reconnecting after reconnect.maxRetries',
  BROKER_UNAVAILABLE: 'the broker stayed down past sendTimeoutMs: the message was not sent',

  // Publishing and topology
  MESSAGE_UNROUTABLE: 'the broker routed the message to no queue: it was not sent',
  PUBLISH_NACKED: 'the broker refused (nacked) the message: it was not stored',
  PUBLISH_UNCONFIRMED: 'the channel or connection closed before the confirm: the message may not be stored',
  EXCHANGE_NOT_FOUND: 'the exchange to publish to does not exist on the broker',
  QUEUE_DECLARE_FAILED: 'the broker refused to declare a queue',
  MESSAGE_TOO_LARGE: 'a task body is over maxMessageBytes (not sent, or dead-lettered by a worker)',

  // Results
  TASK_FAILED: 'the task threw on the worker (TaskFailedError)',
  TASK_REVOKED: 'the task was revoked or expired before it ran (TaskFailedError)',
  TASK_EXPIRED: "on the worker: the task's expires time passed before it ran (the caller sees TASK_REVOKED)",
  RESULT_TIMEOUT: 'get() timed out',
  RESULT_IGNORED: 'get() on a task sent with ignoreResult, or with no result backend',
  RESULT_BACKEND_UNAVAILABLE: 'get() timed out while the result backend was unreachable (the result may still arrive)',
  RESULT_BACKEND_INVALID: 'the resultBackend setting is not a result backend URL',
  RESULT_BACKEND_UNREACHABLE: 'the Redis result backend cannot be reached',
  RESULT_STORE_FAILED: 'Redis refused to store a result',

  // Messages a worker refuses (dead-lettered)
  TASK_NOT_REGISTERED: 'no handler is registered for the task name',
  PROTOCOL_INVALID: 'the message does not follow Celery protocol v2 (or v1)',
  CONTENT_TYPE_REJECTED: "the message's content type is not in the accept list",
  BAD_SIGNATURE: "the message's signature is missing or wrong",
  ETA_OUT_OF_RANGE: "the task's eta is beyond what the delay queues hold",
  WORKER_CRASH: 'the worker running the task died maxRedeliveries times',

  // Thrown by handlers, and time limits
  TASK_RETRY: 'a handler asked to run the task again later (Retry)',
  TASK_REJECTED: 'a handler refused its message for good (Reject)',
  MAX_RETRIES_EXCEEDED: 'a retry past maxRetries, with no error of its own (MaxRetriesExceededError)',
  SOFT_TIME_LIMIT: 'a task passed its soft time limit (SoftTimeLimitExceeded)',
  TIME_LIMIT: 'a task passed its hard time limit and was marked failed (TimeLimitExceeded)',

  // Tasks with isolate: 'thread'
  THREAD_MODULE_UNKNOWN: 'the worker does not know the module that defines the app',
  THREAD_LOAD_FAILED: 'a task thread could not load the app module',
  THREAD_EXITED: 'a task thread died while running a task',
  THREAD_POOL_MISSING: 'a thread task reached an executor that has no thread pool',

  // The taskq command
  APP_NOT_FOUND: 'taskq --app: no such module, or it exports no app',
  APP_LOAD_FAILED: 'taskq --app: the module failed to load',
  DEAD_LETTER_QUEUE_NOT_FOUND: 'taskq dead-letters: no such queue on the broker',
  DEAD_LETTER_NOT_FOUND: 'taskq dead-letters: no dead letter for that task id',
  CONFIRMATION_REQUIRED: 'taskq dead-letters purge without --yes',

  // Lifecycle
  IDLE_TIMEOUT: 'memoryBroker(app).idle() timed out: work was still moving (the message names what)',
  CLOSED: 'the app, worker or connection was used after close()',
} as const satisfies Record<string, string>;

/** A {@link TaskqError}'s stable `code`: one of the keys of {@link ERROR_CODES}. */
export type TaskqErrorCode = keyof typeof ERROR_CODES;
