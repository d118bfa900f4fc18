import type { EventEmitter } from 'node:events';
import type { Logger } from '@taskq/core';
import type { WorkerEventMap } from './worker-events';

/**
 * Emit a worker event. Listeners are user code: one that throws is logged, and the delivery is
 * still settled as it should be (never turned into an internal error, never run again).
 */
export function emitSafely<K extends keyof WorkerEventMap>(
  events: EventEmitter<WorkerEventMap>,
  logger: Logger,
  event: K,
  ...args: WorkerEventMap[K]
): void {
  try {
    (events.emit as (event: K, ...args: WorkerEventMap[K]) => boolean)(event, ...args);
  } catch (err) {
    logger.error(`A '${String(event)}' listener threw: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
}
