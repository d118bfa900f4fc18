/** @taskq/worker — consume RabbitMQ queues and run taskq (and Celery) tasks. */
export { Worker, type WorkerEventMap } from './worker';
export { Beat, type BeatEventMap, type BeatOptions } from './beat';
export { DEFAULT_DRAIN_TIMEOUT_MS, defaultConcurrency, type WorkerOptions } from './worker-options';
export { ackActionFor, REQUEUE_LATER_MS, type AckAction, type DeliveryOutcome } from './ack-policy';
export { DEFAULT_MAX_REDELIVERIES, MAX_INTERNAL_ATTEMPTS, decideRedelivery, type RedeliveryDecision } from './delivery-counts';
export { DEFAULT_RESULT_STORE_TIMEOUT_MS } from './result-reporter';
export { MAX_RESULT_HEADER_BYTES } from './failure-handling';
export { backoffSeconds, decideFailure, type FailureDecision, type FailureInput } from './retry-policy';
export { executeTask, type CrashRegistry, type ExecuteOptions, type ExecutionContext, type ExecutionResult } from './task-executor';
// For the CLI: it loads the tasks module exactly as task threads do.
export { findTsx, importTasksModule, type TsxLocation } from './tasks-module';
