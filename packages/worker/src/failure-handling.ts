import type { ConsumeMessage } from 'amqplib';
import type { EventEmitter } from 'node:events';
import {
  DeadLetterPublisher, NotRegisteredError,
  type DeadLetterReason, type EncodedMessage, type ResolvedRoute, type Task, type TaskqApp, type TaskRequest,
} from '@taskq/core';
import type { DeliveryOutcome } from './ack-policy';
import { encodedCopy, retryCopy } from './message-copy';
import type { ResultReporter } from './result-reporter';
import { decideFailure } from './retry-policy';
import type { WorkerEventMap } from './worker';

/**
 * What a worker does with a delivery that did not simply succeed: a handler that threw (fail,
 * retry, reject, give up — see retry-policy), an unknown task, a message it must refuse (to the
 * dead-letter queue, confirmed, with the reason), or a task not yet due (back into the broker's
 * delay ladder). Each method resolves to the outcome the ack policy turns into an ack, a reject
 * or a requeue.
 */
export class FailureHandling {
  constructor(
    private readonly app: TaskqApp,
    private readonly reporter: () => ResultReporter,
    private readonly events: EventEmitter<WorkerEventMap>,
  ) {}

  async unknownTask(queue: string, message: ConsumeMessage, request: TaskRequest): Promise<DeliveryOutcome> {
    const error = new NotRegisteredError(request.name, this.app.tasks.names());
    const reporter = this.reporter();
    if (reporter.wantsResult(request)) await reporter.failure(request, error);
    return this.deadLetter(queue, message, 'unknown-task', error, request);
  }

  /** A handler threw: fail, retry (next attempt confirmed in the broker first), reject or give up — see retry-policy. */
  async afterFailure(
    queue: string, message: ConsumeMessage, request: TaskRequest, task: Task<unknown[], unknown>, error: unknown, runtimeMs: number,
  ): Promise<DeliveryOutcome> {
    const { logger } = this.app;
    const reporter = this.reporter();
    const label = `${request.name}[${request.id}]`;
    const took = `${(runtimeMs / 1000).toFixed(3)}s`;
    const decision = decideFailure({ error, policy: task.retryPolicy, retries: request.retries, taskName: request.name, taskId: request.id, now: Date.now() });
    switch (decision.kind) {
      case 'retry': {
        const next = { retries: request.retries + 1, eta: new Date(Date.now() + decision.delayMs) };
        try {
          const copy = retryCopy(message, request, next, { serializers: this.app.serializers, signer: this.app.signer });
          await this.publishToQueue(queue, copy, decision.delayMs, `retry ${next.retries} of task ${label}`);
        } catch (err) {
          logger.error(`Task ${label} is due a retry, but its next attempt could not be published; requeueing it: ${(err as Error).message}`);
          return 'retry-unpublished';
        }
        const limit = task.retryPolicy.maxRetries === null ? '' : ` of ${task.retryPolicy.maxRetries}`;
        logger.warn(`Task ${label} failed in ${took}; retry ${next.retries}${limit} at ${next.eta.toISOString()}: ${errorText(decision.error)}`);
        // The next attempt is already in the broker: a lost RETRY report must not requeue (and so duplicate) this one.
        if (reporter.wantsResult(request)) {
          await reporter.retry(request, decision.error).catch((err: unknown) => logger.warn(`Could not report RETRY for task ${label}: ${(err as Error).message}`));
        }
        this.events.emit('task-retried', request, decision.error, decision.delayMs);
        return 'retried';
      }
      case 'reject':
        logger.warn(`Task ${label} rejected its message after ${took}: ${decision.error.message}`);
        if (reporter.wantsResult(request)) await reporter.failure(request, decision.error, 'REJECTED');
        return this.deadLetter(queue, message, 'rejected', decision.error, request);
      case 'exhausted':
        logger.error(`Task ${label} failed in ${took} with no retries left (maxRetries ${decision.maxRetries})`, decision.error);
        if (reporter.wantsResult(request)) await reporter.failure(request, decision.error);
        this.events.emit('task-failed', request, decision.error, runtimeMs);
        return this.deadLetter(queue, message, 'max-retries', decision.error, request);
      case 'fail':
        logger.error(`Task ${label} failed in ${took}`, error);
        if (reporter.wantsResult(request)) await reporter.failure(request, error);
        this.events.emit('task-failed', request, error, runtimeMs);
        return 'failed';
    }
  }

  /**
   * Put a confirmed copy of the message, with `x-taskq-*` headers saying why, in its dead-letter
   * destination; the original is then acked ('dead-lettered'), or — if the copy could not be
   * published — rejected without requeue ('dead-letter-unpublished').
   */
  async deadLetter(
    queue: string, message: ConsumeMessage, reason: DeadLetterReason, error: unknown, request?: TaskRequest,
  ): Promise<DeliveryOutcome> {
    const { logger } = this.app;
    const err = error instanceof Error ? error : new Error(String(error));
    const headers = message.properties.headers ?? {};
    const task = request?.name ?? (typeof headers['task'] === 'string' ? headers['task'] : undefined);
    const retries = request?.retries ?? (typeof headers['retries'] === 'number' ? headers['retries'] : 0);
    const id = request?.id ?? (typeof headers['id'] === 'string' ? headers['id'] : undefined);
    const what = task ? `task ${task}[${id ?? '?'}]` : 'a message';
    this.events.emit('message-rejected', queue, err);
    const parts = this.app.producer();
    const publisher = new DeadLetterPublisher(
      { publish: (...args) => parts.publisher.publish(...args), ensureQueue: (declaration) => parts.topology.ensureQueue(declaration) },
      this.app.deadLetterQueue,
    );
    try {
      const to = await publisher.publish(this.app.router.queue(queue), message, {
        reason, error: errorText(err), task, attempts: retries + 1, deadLetteredAt: new Date(),
      });
      logger.error(`Dead-lettered ${what} from queue '${queue}' to ${to.exchange ? `exchange '${to.exchange}' (key '${to.routingKey}')` : `queue '${to.routingKey}'`} (${reason}): ${err.message}`);
      return 'dead-lettered';
    } catch (publishError) {
      logger.error(
        `Could not dead-letter ${what} from queue '${queue}' (${reason}: ${err.message}); rejecting it without requeue: ${(publishError as Error).message}`,
      );
      return 'dead-letter-unpublished';
    }
  }

  /** Put a not-yet-due task back into the broker (delay ladder), confirmed, before acking it here. */
  async redelay(queue: string, message: ConsumeMessage, request: TaskRequest, waitMs: number): Promise<DeliveryOutcome> {
    const label = `${request.name}[${request.id}]`;
    try {
      await this.publishToQueue(queue, encodedCopy(message), waitMs, `re-delayed from queue '${queue}'`);
    } catch (err) {
      this.app.logger.error(`Could not move task ${label} into the delay queues; requeueing it: ${(err as Error).message}`);
      return 'not-started';
    }
    this.app.logger.debug(`Task ${label} is due at ${request.eta!.toISOString()}; moved to the broker's delay queues.`);
    return 'delayed';
  }

  /** Publish a message for `queue`, confirmed, through the broker's delay ladder when `delayMs` ≥ 1 s. */
  async publishToQueue(queue: string, encoded: EncodedMessage, delayMs: number, reason: string): Promise<void> {
    const route: ResolvedRoute = { exchange: '', routingKey: queue, queue: this.app.router.queue(queue), reason, matchedBy: 'explicit-queue' };
    await this.app.producer().producer.publish(route, encoded, delayMs);
  }
}

/** `Name: message` of a thrown value, for logs and the x-taskq-error header. */
function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
