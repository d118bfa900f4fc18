import type { TaskRequest } from '@taskq/core';

/** Events a worker emits (besides `error` when its broker connection is lost). */
export interface WorkerEventMap {
  'task-succeeded': [request: TaskRequest, value: unknown, runtimeMs: number];
  'task-failed': [request: TaskRequest, error: unknown, runtimeMs: number];
  /** The task will run again after `delayMs`; its next attempt is confirmed in the broker. */
  'task-retried': [request: TaskRequest, error: unknown, delayMs: number];
  'message-rejected': [queue: string, reason: Error];
  error: [error: Error];
}
