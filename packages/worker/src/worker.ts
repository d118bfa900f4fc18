import type { Channel, ConsumeMessage } from 'amqplib';
import { EventEmitter } from 'node:events';
import {
  BrokerError, NotRegisteredError, TaskqError, parseTaskMessage,
  type AcceptList, type EncodedMessage, type ResultStore, type LazyConnection, type ResolvedRoute, type TaskqApp, type TaskRequest,
} from '@taskq/core';
import { ackActionFor, type DeliveryOutcome } from './ack-policy';
import { describeValue, ResultReporter } from './result-reporter';
import { executeTask } from './task-executor';
import { DEFAULT_DRAIN_TIMEOUT_MS, defaultConcurrency, type WorkerOptions } from './worker-options';

/** Events a worker emits (besides `error` when its broker connection is lost). */
export interface WorkerEventMap {
  'task-succeeded': [request: TaskRequest, value: unknown, runtimeMs: number];
  'task-failed': [request: TaskRequest, error: unknown, runtimeMs: number];
  'message-rejected': [queue: string, reason: Error];
  error: [error: Error];
}

/** Waits below this are done in process; longer ones go back into the broker's delay ladder. */
const IN_PROCESS_WAIT_LIMIT_MS = 1000;

/**
 * Consumes queues and runs the app's tasks: at most `concurrency` at once (prefetch equals
 * concurrency, so broker-side priority decides what runs next), ack only after the task ran,
 * results back to the caller, and a clean stop that lets running tasks finish.
 */
export class Worker extends EventEmitter<WorkerEventMap> {
  readonly queues: readonly string[];
  readonly concurrency: number;
  private readonly drainTimeoutMs: number;
  private readonly accept: AcceptList;
  private readonly connection: LazyConnection;
  private channel: Channel | undefined;
  private reporter: ResultReporter | undefined;
  private resultStore: ResultStore | undefined;
  private readonly consumerTags: string[] = [];
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private stopping: Promise<void> | undefined;

  constructor(
    readonly app: TaskqApp,
    private readonly options: WorkerOptions = {},
  ) {
    super();
    this.queues = checkQueues(options.queues ?? [app.router.config.defaults.defaultQueue]);
    this.concurrency = checkConcurrency(options.concurrency ?? defaultConcurrency());
    this.drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.accept = app.acceptList();
    this.connection = app.openConnection('worker');
  }

  /** Number of deliveries being handled right now. */
  get running(): number {
    return this.inFlight;
  }

  /** Connect, declare the queues (existing ones are used as they are) and start consuming. */
  async start(): Promise<void> {
    const connection = await this.connection.get();
    connection.on('close', () => {
      if (!this.stopping) this.emit('error', new BrokerError('CONNECTION_LOST', 'The worker lost its broker connection; running tasks will be redelivered.'));
    });
    const topology = this.app.createTopology(this.connection);
    for (const queue of this.queues) await topology.ensureQueue(this.app.router.queue(queue));
    await topology.close();

    const channel = await connection.createChannel();
    channel.on('error', (err: Error) => this.app.logger.error(`Worker channel closed by the broker: ${err.message}`));
    // One prefetch window for the whole channel when several queues share it, so the total number
    // of unacked deliveries — not the number per queue — equals the concurrency.
    await channel.prefetch(this.concurrency, this.queues.length > 1);
    this.channel = channel;
    this.resultStore = this.app.createResultStore(channel, this.options.resultSerializer);
    this.reporter = new ResultReporter(this.resultStore);
    for (const queue of this.queues) {
      const { consumerTag } = await channel.consume(queue, (message) => message && this.onDelivery(queue, message), { noAck: false });
      this.consumerTags.push(consumerTag);
    }
    this.logBanner();
  }

  /**
   * Stop consuming, let running tasks finish (up to `drainTimeoutMs`), then close. Tasks still
   * running after that are redelivered by the broker to another worker. Safe to call twice.
   */
  stop(): Promise<void> {
    this.stopping ??= this.drainAndClose();
    return this.stopping;
  }

  private async drainAndClose(): Promise<void> {
    const channel = this.channel;
    for (const tag of this.consumerTags) await channel?.cancel(tag).catch(() => undefined);
    if (this.inFlight > 0) {
      this.app.logger.info(`Waiting for ${this.inFlight} running task(s) to finish (up to ${this.drainTimeoutMs} ms)…`);
      const drained = await this.waitIdle(this.drainTimeoutMs);
      if (!drained) {
        this.app.logger.warn(`${this.inFlight} task(s) still running after ${this.drainTimeoutMs} ms; closing: the broker will redeliver them.`);
      }
    }
    await channel?.close().catch(() => undefined);
    await this.resultStore?.close().catch(() => undefined);
    await this.connection.close();
    this.app.logger.info('Worker stopped.');
  }

  private waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private onDelivery(queue: string, message: ConsumeMessage): void {
    if (this.stopping) {
      this.settle(message, 'not-started');
      return;
    }
    this.inFlight++;
    this.handle(queue, message)
      .then((outcome) => this.settle(message, outcome))
      .catch((err: unknown) => {
        // Only a taskq bug gets here; requeue rather than lose the task.
        this.app.logger.error(`Internal error while handling a message from '${queue}'`, err);
        this.settle(message, 'not-started');
      })
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      });
  }

  private async handle(queue: string, message: ConsumeMessage): Promise<DeliveryOutcome> {
    const { logger } = this.app;
    const reporter = this.reporter!;
    let request: TaskRequest;
    try {
      request = parseTaskMessage(message.content, message.properties, this.accept);
    } catch (err) {
      logger.error(`Rejected a message from queue '${queue}': ${(err as Error).message}`);
      this.emit('message-rejected', queue, err as Error);
      return 'malformed';
    }
    const label = `${request.name}[${request.id}]`;

    const task = this.app.tasks.find(request.name);
    if (!task) {
      const error = new NotRegisteredError(request.name, this.app.tasks.names());
      logger.error(`Rejected task ${label} from queue '${queue}': ${error.message}`);
      if (reporter.wantsResult(request)) await reporter.failure(request, error);
      this.emit('message-rejected', queue, error);
      return 'unknown-task';
    }

    if (request.expires && request.expires.getTime() <= Date.now()) {
      logger.warn(`Task ${label} expired at ${request.expires.toISOString()}; not running it.`);
      if (reporter.wantsResult(request)) {
        await reporter.failure(request, new TaskqError('TASK_EXPIRED', `Task ${label} expired at ${request.expires.toISOString()} before it could run.`), 'REVOKED');
      }
      return 'expired';
    }

    if (request.eta) {
      const wait = request.eta.getTime() - Date.now();
      if (wait >= IN_PROCESS_WAIT_LIMIT_MS) {
        try {
          await this.redelay(queue, message, wait);
        } catch (err) {
          logger.error(`Could not move task ${label} into the delay queues; requeueing it: ${(err as Error).message}`);
          return 'not-started';
        }
        logger.debug(`Task ${label} is due at ${request.eta.toISOString()}; moved to the broker's delay queues.`);
        return 'delayed';
      }
      if (wait > 0) await sleep(wait);
    }

    logger.debug(`Task ${label} received from '${queue}'.`);
    const result = await executeTask(task, {
      id: request.id,
      name: request.name,
      kwargs: request.kwargs,
      retries: request.retries,
      redelivered: message.fields.redelivered,
      queue,
      request,
    });
    const seconds = (result.runtimeMs / 1000).toFixed(3);
    if (result.ok) {
      logger.info(`Task ${label} succeeded in ${seconds}s: ${describeValue(result.value)}`);
      if (reporter.wantsResult(request)) await reporter.success(request, result.value);
      this.emit('task-succeeded', request, result.value, result.runtimeMs);
      return 'succeeded';
    }
    logger.error(`Task ${label} failed in ${seconds}s`, result.error);
    if (reporter.wantsResult(request)) await reporter.failure(request, result.error);
    this.emit('task-failed', request, result.error, result.runtimeMs);
    return 'failed';
  }

  /** Put a not-yet-due task back into the broker (delay ladder), confirmed, before acking it here. */
  private async redelay(queue: string, message: ConsumeMessage, waitMs: number): Promise<void> {
    const { properties } = message;
    const encoded: EncodedMessage = {
      content: message.content,
      contentType: properties.contentType ?? 'application/json',
      contentEncoding: properties.contentEncoding ?? 'utf-8',
      correlationId: properties.correlationId ?? '',
      headers: properties.headers ?? {},
      persistent: true,
    };
    if (properties.replyTo) encoded.replyTo = properties.replyTo;
    if (typeof properties.priority === 'number') encoded.priority = properties.priority;
    const declaration = this.app.router.queue(queue);
    const route: ResolvedRoute = {
      exchange: '',
      routingKey: queue,
      queue: declaration,
      reason: `re-delayed from queue '${queue}'`,
      matchedBy: 'explicit-queue',
    };
    await this.app.producer().producer.publish(route, encoded, waitMs);
  }

  private settle(message: ConsumeMessage, outcome: DeliveryOutcome): void {
    const channel = this.channel;
    if (!channel) return;
    try {
      switch (ackActionFor(outcome)) {
        case 'ack':
          channel.ack(message);
          break;
        case 'dead-letter':
          channel.reject(message, false);
          break;
        case 'requeue':
          channel.nack(message, false, true);
          break;
      }
    } catch {
      // The channel is gone; the broker redelivers the message to another consumer.
    }
  }

  private logBanner(): void {
    const { app } = this;
    const queues = this.queues.map((name) => {
      const decl = app.router.queue(name);
      return decl.maxPriority ? `${name} (max priority ${decl.maxPriority})` : name;
    });
    const tasks = app.tasks.names();
    app.logger.info(
      [
        'taskq worker ready',
        `  broker:      ${app.brokerUrlMasked}`,
        `  queues:      ${queues.join(', ')}`,
        `  concurrency: ${this.concurrency} (prefetch ${this.concurrency})`,
        `  accept:      ${this.accept.contentTypes.join(', ')}`,
        `  routing:     ${app.configSource ?? '(no routing files)'}`,
        `  results:     ${app.resultBackendMasked}`,
        `  tasks (${tasks.length}): ${tasks.length ? tasks.join(', ') : '(none registered — check --app)'}`,
      ].join('\n'),
    );
  }
}

function checkConcurrency(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new TaskqError('INVALID_OPTION', `concurrency must be a whole number from 1 to 65535, found ${String(value)}.`);
  }
  return value;
}

function checkQueues(queues: readonly string[]): string[] {
  const names = queues.map((q) => (typeof q === 'string' ? q.trim() : q));
  if (names.length === 0 || names.some((q) => typeof q !== 'string' || q === '')) {
    throw new TaskqError('INVALID_OPTION', `queues must be a list of non-empty queue names, found ${JSON.stringify(queues)}.`);
  }
  return [...new Set(names as string[])];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
