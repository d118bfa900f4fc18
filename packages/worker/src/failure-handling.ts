import type { ConsumeMessage } from 'amqplib';
import type { EventEmitter } from 'node:events';
import {
  NotRegisteredError,
  type DeadLetterReason,
  type Logger,
  type ResultMeta,
  type Serializer,
  type Task,
  type TaskRequest,
} from '@taskq/core';
import { DELIVERY_COUNT_HEADERS, type DeadLetterDestination, type DeadLetterNote, type EncodedMessage } from '@taskq/core/internal';
import type { DeliveryOutcome } from './ack-policy';
import { countHeader, internalRetryDelayMs, isBrokerSideFailure, MAX_INTERNAL_ATTEMPTS } from './delivery-counts';
import { encodedCopy, retryCopy, type RetryCopyRules } from './message-copy';
import type { ReportOutcome, ResultReporter } from './result-reporter';
import { emitSafely } from './safe-emit';
import { decideFailure } from './retry-policy';
import type { WorkerEventMap } from './worker-events';

/**
 * What failure handling needs from the rest of taskq, and nothing more: the task names (for an
 * unknown task's error), how to copy a message for a retry, and confirmed publishing to a queue
 * (directly or through the delay ladder) and to its dead-letter target. The worker builds it from
 * the app in one place (`workerPortsOf`, worker-ports.ts).
 */
export interface FailurePorts {
  readonly logger: Logger;
  taskNames(): string[];
  /** What a retry copy is encoded and signed with. */
  readonly copyRules: RetryCopyRules;
  /** Publish `encoded` for the queue named `queue`, confirmed; through the delay ladder when `delayMs` ≥ 1 s. */
  publishToQueue(queue: string, encoded: EncodedMessage, delayMs: number, reason: string): Promise<void>;
  /** Copy `message` (consumed from `queue`) to its dead-letter target with `note`, confirmed; resolves with where it went. */
  deadLetter(queue: string, message: ConsumeMessage, note: Omit<DeadLetterNote, 'originalQueue'>): Promise<DeadLetterDestination>;
}

/** A result document kept in a dead letter's `x-taskq-result` header is cut off beyond this (headers must fit one AMQP frame). */
export const MAX_RESULT_HEADER_BYTES = 64 * 1024;

/**
 * What a worker does with a delivery that did not simply succeed: a handler that threw (fail,
 * retry, reject, give up — see retry-policy), an unknown task, a message it must refuse (to the
 * dead-letter queue, confirmed, with the reason), a task not yet due (back into the broker's delay
 * ladder), a redelivery to count, an error inside taskq, or a result the backend would not take.
 * Each method resolves to the outcome the ack policy turns into an ack, a reject or a (later)
 * requeue; none of them throws.
 */
export class FailureHandling {
  constructor(
    private readonly ports: FailurePorts,
    private readonly reporter: () => ResultReporter,
    private readonly events: EventEmitter<WorkerEventMap>,
    /** Encodes a result document kept in a dead letter (the worker's result serializer). */
    private readonly resultSerializer: Serializer,
    /** The worker's maxRedeliveries, for log lines. */
    private readonly maxRedeliveries: number,
  ) {}

  async unknownTask(queue: string, message: ConsumeMessage, request: TaskRequest): Promise<DeliveryOutcome> {
    const error = new NotRegisteredError(request.name, this.ports.taskNames());
    const reporter = this.reporter();
    // The dead letter is the record either way; a result the backend would not take changes nothing here.
    if (reporter.wantsResult(request)) await reporter.failure(request, error);
    return this.deadLetter(queue, message, 'unknown-task', error, request);
  }

  /**
   * A result that could not be stored goes to the dead-letter queue with the document kept in
   * `x-taskq-result`; the task is not run again. Otherwise `outcome` stands.
   */
  afterReport(
    queue: string,
    message: ConsumeMessage,
    request: TaskRequest,
    report: ReportOutcome,
    outcome: DeliveryOutcome,
  ): DeliveryOutcome | Promise<DeliveryOutcome> {
    if (report.stored) return outcome;
    return this.deadLetter(queue, message, 'result-backend-unavailable', report.error, request, this.keptResult(report.document));
  }

  /** A handler threw: fail, retry (next attempt confirmed in the broker first), reject or give up — see retry-policy. */
  async afterFailure(
    queue: string,
    message: ConsumeMessage,
    request: TaskRequest,
    task: Task<unknown[], unknown>,
    error: unknown,
    runtimeMs: number,
  ): Promise<DeliveryOutcome> {
    const { logger } = this.ports;
    const reporter = this.reporter();
    const label = `${request.name}[${request.id}]`;
    const took = `${(runtimeMs / 1000).toFixed(3)}s`;
    const decision = decideFailure({
      error,
      policy: task.retryPolicy,
      retries: request.retries,
      taskName: request.name,
      taskId: request.id,
      now: Date.now(),
    });
    switch (decision.kind) {
      case 'retry': {
        const next = { retries: request.retries + 1, eta: new Date(Date.now() + decision.delayMs) };
        let copy: EncodedMessage;
        try {
          copy = retryCopy(message, request, next, this.ports.copyRules);
        } catch (err) {
          return this.deadLetter(queue, message, 'internal-error', new Error(`its retry could not be built: ${errorText(err)}`), request);
        }
        try {
          await this.publishToQueue(queue, copy, decision.delayMs, `retry ${next.retries} of task ${label}`);
        } catch (err) {
          logger.error(
            `Task ${label} is due a retry, but its next attempt could not be published; handing it back to the broker in a few seconds: ${errorText(err)}`,
          );
          return isBrokerSideFailure(err)
            ? 'retry-unpublished'
            : this.deadLetter(queue, message, 'internal-error', new Error(`its retry could not be published: ${errorText(err)}`), request);
        }
        const limit = task.retryPolicy.maxRetries === null ? '' : ` of ${task.retryPolicy.maxRetries}`;
        logger.warn(
          `Task ${label} failed in ${took}; retry ${next.retries}${limit} at ${next.eta.toISOString()}: ${errorText(decision.error)}`,
        );
        // The next attempt is already in the broker: a lost RETRY report must not requeue (and so duplicate) this one.
        if (reporter.wantsResult(request)) {
          await reporter
            .retry(request, decision.error)
            .catch((err: unknown) => logger.warn(`Could not report RETRY for task ${label}: ${errorText(err)}`));
        }
        emitSafely(this.events, logger, 'task-retried', request, decision.error, decision.delayMs);
        return 'retried';
      }
      case 'reject': {
        logger.warn(`Task ${label} rejected its message after ${took}: ${decision.error.message}`);
        const kept = reporter.wantsResult(request) ? await reporter.failure(request, decision.error, 'REJECTED') : undefined;
        return this.deadLetter(
          queue,
          message,
          'rejected',
          decision.error,
          request,
          kept && !kept.stored ? this.keptResult(kept.document) : undefined,
        );
      }
      case 'exhausted': {
        logger.error(`Task ${label} failed in ${took} with no retries left (maxRetries ${decision.maxRetries})`, decision.error);
        const kept = reporter.wantsResult(request) ? await reporter.failure(request, decision.error) : undefined;
        emitSafely(this.events, logger, 'task-failed', request, decision.error, runtimeMs);
        return this.deadLetter(
          queue,
          message,
          'max-retries',
          decision.error,
          request,
          kept && !kept.stored ? this.keptResult(kept.document) : undefined,
        );
      }
      case 'fail': {
        logger.error(`Task ${label} failed in ${took}`, error);
        const report = reporter.wantsResult(request) ? await reporter.failure(request, error) : { stored: true as const };
        emitSafely(this.events, logger, 'task-failed', request, error, runtimeMs);
        return this.afterReport(queue, message, request, report, 'failed');
      }
    }
  }

  /**
   * Put a confirmed copy of the message, with `x-taskq-*` headers saying why, in its dead-letter
   * destination; the original is then acked ('dead-lettered'). When the broker does not take the
   * copy, the original goes back to it later ('publish-failed'), once: a redelivered one, or a copy
   * that cannot even be sent (a local error, a destination that routes nowhere), is rejected without
   * requeue ('dead-letter-unpublished'), to the queue's own dead-letter exchange if it has one.
   */
  async deadLetter(
    queue: string,
    message: ConsumeMessage,
    reason: DeadLetterReason,
    error: unknown,
    request?: TaskRequest,
    result?: string | Buffer,
  ): Promise<DeliveryOutcome> {
    const { logger } = this.ports;
    const err = error instanceof Error ? error : new Error(String(error));
    const headers = message.properties.headers ?? {};
    const task = request?.name ?? (typeof headers['task'] === 'string' ? headers['task'] : undefined);
    const retries = request?.retries ?? (typeof headers['retries'] === 'number' ? headers['retries'] : 0);
    const id = request?.id ?? (typeof headers['id'] === 'string' ? headers['id'] : undefined);
    const what = task ? `task ${task}[${shorten(id ?? '?')}]` : 'a message';
    emitSafely(this.events, logger, 'message-rejected', queue, err);
    try {
      const to = await this.ports.deadLetter(queue, message, {
        reason,
        error: errorText(err),
        task,
        attempts: retries + 1,
        deadLetteredAt: new Date(),
        ...(result !== undefined ? { result } : {}),
      });
      logger.error(
        `Dead-lettered ${what} from queue '${queue}' to ${to.exchange ? `exchange '${to.exchange}' (key '${to.routingKey}')` : `queue '${to.routingKey}'`} (${reason}): ${err.message}`,
      );
      return 'dead-lettered';
    } catch (publishError) {
      // Handed back once already (it is redelivered) and still not taken: reject it rather than cycle.
      if (isBrokerSideFailure(publishError) && !message.fields.redelivered) {
        logger.error(
          `Could not dead-letter ${what} from queue '${queue}' (${reason}: ${err.message}): ${errorText(publishError)}; handing it back to the broker in a few seconds.`,
        );
        return 'publish-failed';
      }
      logger.error(
        `Could not dead-letter ${what} from queue '${queue}' (${reason}: ${err.message}); rejecting it without requeue: ${errorText(publishError)}`,
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
      if (!isBrokerSideFailure(err))
        return this.deadLetter(queue, message, 'internal-error', new Error(`it could not be re-delayed: ${errorText(err)}`), request);
      this.ports.logger.error(
        `Could not move task ${label} into the delay queues; handing it back to the broker in a few seconds: ${errorText(err)}`,
      );
      return 'publish-failed';
    }
    this.ports.logger.debug(`Task ${label} is due at ${request.eta!.toISOString()}; moved to the broker's delay queues.`);
    return 'delayed';
  }

  /**
   * The message came back redelivered: publish a copy carrying `redeliveries` (confirmed, to the
   * same queue), then ack the original. The copy then runs alone.
   */
  async recount(queue: string, message: ConsumeMessage, request: TaskRequest, redeliveries: number): Promise<DeliveryOutcome> {
    const label = `${request.name}[${shorten(request.id)}]`;
    const copy = encodedCopy(message);
    copy.headers[DELIVERY_COUNT_HEADERS.redeliveries] = redeliveries;
    try {
      await this.publishToQueue(queue, copy, 0, `redelivery ${redeliveries} of task ${label}`);
    } catch (err) {
      if (!isBrokerSideFailure(err))
        return this.deadLetter(
          queue,
          message,
          'internal-error',
          new Error(`its redelivery could not be counted: ${errorText(err)}`),
          request,
        );
      this.ports.logger.error(
        `Could not count redelivery ${redeliveries} of task ${label}; handing it back to the broker in a few seconds: ${errorText(err)}`,
      );
      return 'publish-failed';
    }
    this.ports.logger.warn(
      `Task ${label} came back redelivered (${redeliveries} time(s); a worker holding it died or lost its connection): ` +
        `it will run alone; it is dead-lettered as worker-crash if that happens again ${this.remaining(redeliveries)}.`,
    );
    return 'recounted';
  }

  private remaining(redeliveries: number): string {
    const left = this.maxRedeliveries - redeliveries;
    return left <= 1 ? 'once more' : `${left} more times`;
  }

  /**
   * taskq itself failed while handling the delivery. Try again later through the delay ladder,
   * counting attempts in `x-taskq-internal-errors` (2, 4, 8, 16 s apart); after
   * {@link MAX_INTERNAL_ATTEMPTS} dead-letter it as `internal-error` with the error text.
   * Never throws: this is the last line of defence.
   */
  async internalError(queue: string, message: ConsumeMessage, error: unknown): Promise<DeliveryOutcome> {
    try {
      const attempt = countHeader(message.properties.headers, DELIVERY_COUNT_HEADERS.internalErrors) + 1;
      const text = error instanceof Error ? (error.stack ?? errorText(error)) : String(error);
      if (attempt >= MAX_INTERNAL_ATTEMPTS) {
        this.ports.logger.error(
          `Internal error while handling a message from '${queue}' (attempt ${attempt} of ${MAX_INTERNAL_ATTEMPTS}); dead-lettering it: ${text}`,
        );
        return await this.deadLetter(queue, message, 'internal-error', error);
      }
      const delayMs = internalRetryDelayMs(attempt);
      const copy = encodedCopy(message);
      copy.headers[DELIVERY_COUNT_HEADERS.internalErrors] = attempt;
      try {
        await this.publishToQueue(queue, copy, delayMs, `internal-error retry ${attempt}`);
      } catch (err) {
        if (!isBrokerSideFailure(err)) return await this.deadLetter(queue, message, 'internal-error', error);
        this.ports.logger.error(
          `Internal error while handling a message from '${queue}', and its retry could not be published (${errorText(err)}); handing it back to the broker in a few seconds: ${text}`,
        );
        return 'publish-failed';
      }
      this.ports.logger.error(
        `Internal error while handling a message from '${queue}' (attempt ${attempt} of ${MAX_INTERNAL_ATTEMPTS}); trying again in ${delayMs / 1000} s: ${text}`,
      );
      return 'internal-retried';
    } catch (last) {
      this.ports.logger.error(
        `Internal error while handling a message from '${queue}', and again while dead-lettering it; rejecting it without requeue: ${errorText(last)}`,
      );
      return 'dead-letter-unpublished';
    }
  }

  /** Publish a message for `queue`, confirmed, through the broker's delay ladder when `delayMs` ≥ 1 s. */
  publishToQueue(queue: string, encoded: EncodedMessage, delayMs: number, reason: string): Promise<void> {
    return this.ports.publishToQueue(queue, encoded, delayMs, reason);
  }

  /** The document for `x-taskq-result`: text for a text serializer, bytes otherwise; cut off past the limit. */
  keptResult(document: ResultMeta): string | Buffer {
    let encoded: Buffer;
    try {
      encoded = this.resultSerializer.encode(document);
    } catch (err) {
      return `(the result could not be encoded: ${errorText(err)})`;
    }
    if (encoded.length > MAX_RESULT_HEADER_BYTES) {
      return `(the result document has ${encoded.length} bytes, over the ${MAX_RESULT_HEADER_BYTES} bytes kept in a dead letter's header)`;
    }
    return this.resultSerializer.contentEncoding === 'utf-8' ? encoded.toString('utf8') : encoded;
  }
}

/** `Name: message` of a thrown value, for logs and the x-taskq-error header. */
export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** A hostile id can be long: log lines show its start. */
function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
