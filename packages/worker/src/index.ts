/** @taskq/worker — consume RabbitMQ queues and run taskq (and Celery) tasks. */
export { Worker, type WorkerEventMap } from './worker';
export { DEFAULT_DRAIN_TIMEOUT_MS, defaultConcurrency, type WorkerOptions } from './worker-options';
export { ackActionFor, type AckAction, type DeliveryOutcome } from './ack-policy';
export { executeTask, type ExecutionResult } from './task-executor';
