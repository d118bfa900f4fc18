/**
 * @taskq/core/internal — the plumbing @taskq/worker and @taskq/cli are built from: transport
 * (connections, confirms, topology, the delay ladder), the producer, result stores, the Celery
 * message codec, task-context internals and dead-letter publishing.
 *
 * Not a public API: it changes with any release, without notice. Applications import
 * `@taskq/core` (see index.ts); if you need something only found here, open an issue.
 */
export * from './index';
export { ProducerSide, type ProducerSideSettings } from './producer-side';
export { SEND_OPTION_KEYS } from './send-options';
export { TaskRegistry } from './task-registry';
export { bindArguments } from './task-arguments';
export { runInTaskContext, runningTaskContext } from './task-context';
export { DEFAULT_RETRY_POLICY, resolveRetryPolicy } from './retry-settings';
export { checkTimeLimits, resolveTimeLimits, type ResolvedTimeLimits } from './time-limits';
export { Producer } from './producer';
export { EventLoopHold } from './event-loop-hold';
export {
  RpcResultBackend,
  RpcResultStore,
  createRedisResultBackend,
  createRedisResultStore,
  parseResultBackend,
  openResultBackend,
  ResultStoreFactory,
  type ResultSettings,
  type ResultBackend,
  type ResultStore,
  type ResultBackendSetting,
} from './results';
export * from './protocol';
export * from './routing';
export * from './serialization';
export * from './signing';
export * from './dead-letters';
export * from './transport';
export { connectMemoryBroker, isMemoryBrokerUrl, memoryBrokerName, MemoryBroker } from './transport/memory';
export { AMQP_REPLY, replyCodeOf } from './transport/amqp-reply';
