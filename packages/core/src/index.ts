/**
 * @taskq/core — define tasks, route them, send them to RabbitMQ and read their results.
 * Celery protocol v2 on the wire.
 *
 * This entry point is what applications use. The plumbing the worker and the CLI are built from
 * (connections, publishers, topology, the message codec) is in `@taskq/core/internal`, which
 * carries no compatibility promise.
 */
export { createApp, TaskqApp } from './app';
export { DEFAULT_ACCEPT, DEFAULT_MAX_MESSAGE_BYTES, type AppOptions, type AppOverrides } from './app-options';
export { Task, type TaskHandler, type TaskOptions } from './task';
export { currentTask, type TaskContext } from './task-context';
export type { SendOptions } from './send-options';
export { MaxRetriesExceededError, Reject, Retry, type RetryRequest } from './task-control';
export type { RetryableError, RetryPolicy, RetrySettings } from './retry-settings';
export type { TimeLimitSettings } from './time-limits';
export * from './errors';
export { createConsoleLogger, isLogLevel, silentLogger, type Logger, type LogLevel } from './logger';
export { AsyncResult, type GetOptions } from './results';
export type { ExceptionInfo, ResultMeta, TaskRequest, TaskState } from './protocol';
/** Routing files: load and validate them as the worker does (e.g. in a deploy check). */
export {
  checkRoutingConfig,
  loadRoutingConfig,
  loadRoutingConfigSync,
  type BandTarget,
  type ExplicitRoute,
  type PriorityBand,
  type PublishTarget,
  type QueueDeclaration,
  type QueueRoute,
  type QueueType,
  type ResolvedRoute,
  type RoutingConfig,
  type RoutingConfigCheck,
  type RoutingDefaults,
} from './routing';
/** Serializers: the built-in ones, and the interface for registering your own. */
export {
  createJsonSerializer,
  createMsgpackSerializer,
  createYamlSerializer,
  MAX_DECODE_DEPTH,
  NestingTooDeepError,
  UnencodableValueError,
  type JsonSerializerOptions,
  type Serializer,
  type ValuePathSegment,
} from './serialization';
export { MIN_SIGNING_KEY_BYTES, type SigningOptions } from './signing';
/** Dead letters: the reasons and headers a worker writes, and the operator tools (list, inspect, replay, purge). */
export {
  DEAD_LETTER_HEADERS,
  DEAD_LETTER_REASONS,
  DEFAULT_DEAD_LETTER_QUEUE,
  DEFAULT_LIST_LIMIT,
  countDeadLetters,
  findDeadLetters,
  listDeadLetters,
  purgeDeadLetters,
  readDeadLetter,
  replayDeadLetters,
  type DeadLetter,
  type DeadLetterReason,
  type DeadLetterSummary,
  type ReplayReport,
} from './dead-letters';
/** The in-memory broker behind `memory://` apps, for tests: wait until work is done, reset between tests. */
export { memoryBroker, type IdleOptions, type MemoryBrokerControl } from './transport/memory';
export {
  DEFAULT_BROKER_URL,
  DEFAULT_SEND_TIMEOUT_MS,
  MAX_DELAY_SECONDS,
  maskBrokerUrl,
  type ReconnectOptions,
  type TlsOptions,
} from './transport';
/** Periodic tasks: schedules (cron, Celery's crontab, every), entries, schedule files. */
export * from './beat';
