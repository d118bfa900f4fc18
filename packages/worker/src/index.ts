/** @taskq/worker — consume RabbitMQ queues and run taskq (and Celery) tasks. */
export { Worker, type WorkerEventMap } from './worker';
export { DEFAULT_DRAIN_TIMEOUT_MS, defaultConcurrency, type WorkerOptions } from './worker-options';
export { ackActionFor, type AckAction, type DeliveryOutcome } from './ack-policy';
export { backoffSeconds, decideFailure, type FailureDecision, type FailureInput } from './retry-policy';
export { executeTask, type ExecuteOptions, type ExecutionContext, type ExecutionResult } from './task-executor';
