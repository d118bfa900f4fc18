/**
 * @taskq/core — define tasks, route them, send them to RabbitMQ and read their results.
 * Celery protocol v2 on the wire.
 */
export { createApp, TaskqApp, type ProducerState } from './app';
export { DEFAULT_ACCEPT, DEFAULT_MAX_MESSAGE_BYTES, type AppOptions, type AppOverrides } from './app-options';
export { Task, type TaskHandler, type TaskOptions } from './task';
export { TaskRegistry } from './task-registry';
export { bindArguments } from './task-arguments';
export { currentTask, runInTaskContext, runningTaskContext, type TaskContext } from './task-context';
export { SEND_OPTION_KEYS, type SendOptions } from './send-options';
export { MaxRetriesExceededError, Reject, Retry, type RetryRequest } from './task-control';
export {
  DEFAULT_RETRY_POLICY,
  resolveRetryPolicy,
  type RetryableError,
  type RetryPolicy,
  type RetrySettings,
} from './retry-settings';
export * from './signing';
export * from './dead-letters';
export { checkTimeLimits, resolveTimeLimits, type ResolvedTimeLimits, type TimeLimitSettings } from './time-limits';
export { Producer } from './producer';
export * from './errors';
export { createConsoleLogger, isLogLevel, silentLogger, type Logger, type LogLevel } from './logger';
export {
  AsyncResult,
  RpcResultBackend,
  RpcResultStore,
  createRedisResultBackend,
  createRedisResultStore,
  parseResultBackend,
  type GetOptions,
  type ResultBackend,
  type ResultStore,
  type ResultBackendSetting,
} from './results';
export * from './protocol';
export * from './routing';
export * from './serialization';
export {
  ConfirmPublisher,
  DelayedDelivery,
  LazyConnection,
  Topology,
  connectBroker,
  maskBrokerUrl,
  maskSecrets,
  splitDelay,
  toAssertQueueOptions,
  toPublishOptions,
  copyPublishOptions,
  DEFAULT_BROKER_URL,
  MAX_DELAY_SECONDS,
  type ChannelSource,
} from './transport';
