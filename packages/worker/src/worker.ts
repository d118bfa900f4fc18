import type { ConsumeMessage } from 'amqplib';
import { EventEmitter } from 'node:events';
import {
  MAX_DELAY_SECONDS,
  Retry,
  TaskqError,
  type Logger,
  type QueueDeclaration,
  type RetryRequest,
  type Task,
  type TaskqApp,
  type TaskRequest,
} from '@taskq/core';
import {
  DELIVERY_COUNT_HEADERS,
  checkTimeLimits,
  parseTaskMessage,
  unknownQueueWarning,
  type AcceptList,
  type Transport,
  type ResultStore,
} from '@taskq/core/internal';
import { undecodableReason, type DeliveryOutcome } from './ack-policy';
import type { ChannelSettler } from './channel-settler';
import { ConsumerChannel } from './consumer-channel';
import { CrashGuard, type CrashKind } from './crash-guard';
import { countHeader, decideRedelivery, DEFAULT_MAX_REDELIVERIES, etaOutOfRange } from './delivery-counts';
import { ownHeaders, screenDelivery } from './delivery-screen';
import { errorText, FailureHandling } from './failure-handling';
import { encodedCopy } from './message-copy';
import { emitSafely } from './safe-emit';
import { DEFAULT_RESULT_STORE_TIMEOUT_MS, describeValue, ResultOutage, type ResultReporter } from './result-reporter';
import { executeTask, type ExecuteOptions, type ExecutionResult } from './task-executor';
import { checkThreadTasks, ThreadPool } from './thread-pool';
import type { WorkerEventMap } from './worker-events';
import { workerPortsOf, type WorkerPorts } from './worker-ports';
import { DEFAULT_DRAIN_TIMEOUT_MS, defaultConcurrency, MAX_PREFETCH, type WorkerOptions } from './worker-options';

export type { WorkerEventMap } from './worker-events';

/** Waits below this are done in process; longer ones go back into the broker's delay ladder. */
const IN_PROCESS_WAIT_LIMIT_MS = 1000;

/** A delivery that has arrived and not started. */
interface Waiting {
  queue: string;
  message: ConsumeMessage;
  settler: ChannelSettler;
  /** It came back after a redelivery: run it with nothing else beside it. */
  alone: boolean;
  /** Its queue's priority band (higher starts first; 0 without bands). */
  rank: number;
}

/**
 * Consumes queues and runs the app's tasks: at most `concurrency` at once (prefetch equals
 * concurrency, so broker-side priority decides what runs next), ack only after the task ran,
 * results back to the caller, and a clean stop that lets running tasks finish.
 */
export class Worker extends EventEmitter<WorkerEventMap> {
  /** The queues this worker was asked to consume (`--queue`). */
  readonly queues: readonly string[];
  /** What it consumes: each of {@link queues}, or for a quorum queue with priority bands, its band queues. */
  private readonly consumed: readonly QueueDeclaration[];
  /** The band of each band queue consumed (highest = most urgent); undefined when no queue has bands. */
  private readonly ranks: ReadonlyMap<string, number> | undefined;
  /** The consumed queues that are quorum queues: their redeliveries carry the broker's own count. */
  private readonly quorumQueues: ReadonlySet<string>;
  readonly concurrency: number;
  /** Messages the broker may hand this worker before it acks: concurrency × prefetchMultiplier. */
  readonly prefetch: number;
  /** Redeliveries after which a message is dead-lettered as `worker-crash`. */
  readonly maxRedeliveries: number;
  private readonly drainTimeoutMs: number;
  private readonly accept: AcceptList;
  /** The worker's own connection: consumers and acks (publishing goes through the app's producer). */
  private readonly transport: Transport;
  /**
   * The latest consuming channel, with its settler, result store and reporter; closed after a
   * connection loss until the next one opens (tasks finishing meanwhile report through it).
   */
  private consumer: ConsumerChannel | undefined;
  /** The Redis store outlives channels (results held through an outage must survive a channel reopen); rpc replies go on each channel. */
  private sharedStore: ResultStore | undefined;
  private readonly outage: ResultOutage;
  /** What every channel's ResultReporter shares: the outage and how long to hold a result. */
  private readonly reporterSettings: { outage: ResultOutage; timeoutMs: number };
  private inFlight = 0;
  /** Prefetched deliveries waiting for a free slot (only with prefetchMultiplier > 1). */
  private waiting: Waiting[] = [];
  private pumping = false;
  /** A redelivered task is running, alone. */
  private soloRunning = false;
  private readonly crashGuard: CrashGuard | undefined;
  private fatal = false;
  /** Which per-task log lines are wanted: they are not even formatted otherwise. */
  private readonly logs: { debug: boolean; info: boolean };
  private idleWaiters: Array<() => void> = [];
  private stopping: Promise<void> | undefined;
  private opening: Promise<void> | undefined;
  private readonly threads: ThreadPool;
  private readonly execution: ExecuteOptions;
  /** Everything after a task that did not simply succeed: retries, failures, dead letters, re-delays. */
  private readonly failures: FailureHandling;

  /** What this worker uses of its app, and nothing else (see {@link WorkerPorts}). */
  private readonly ports: WorkerPorts;

  constructor(
    readonly app: TaskqApp,
    private readonly options: WorkerOptions = {},
  ) {
    super();
    this.ports = workerPortsOf(app);
    const ports = this.ports;
    this.queues = checkQueues(options.queues ?? [ports.router.config.defaults.defaultQueue]);
    const groups = this.queues.map((queue) => ports.router.consumeQueues(queue));
    this.consumed = groups.flat();
    this.ranks = bandRanks(groups);
    this.quorumQueues = new Set(this.consumed.filter((queue) => queue.queueType === 'quorum').map((queue) => queue.name));
    this.concurrency = checkConcurrency(options.concurrency ?? defaultConcurrency());
    this.prefetch = prefetchFor(this.concurrency, options.prefetchMultiplier ?? 1);
    this.drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.maxRedeliveries = checkWhole(options.maxRedeliveries ?? DEFAULT_MAX_REDELIVERIES, 'maxRedeliveries', 1);
    const resultStoreTimeoutMs = checkWhole(options.resultStoreTimeoutMs ?? DEFAULT_RESULT_STORE_TIMEOUT_MS, 'resultStoreTimeoutMs', 0);
    this.accept = ports.acceptList();
    this.transport = ports.openTransport('worker');
    checkTimeLimits(options, 'Worker options');
    checkThreadTasks(app);
    this.threads = new ThreadPool({
      size: this.concurrency,
      modulePath: () => ports.sourceModule,
      overrides: () => ports.overrides,
      logger: ports.logger,
    });
    const resultSerializer = ports.serializers.get(options.resultSerializer ?? 'json');
    this.failures = new FailureHandling(ports.failures, () => this.reporterNow(), this, resultSerializer, this.maxRedeliveries);
    this.outage = new ResultOutage(
      ports.logger,
      ports.resultBackendMasked,
      (down) => {
        if (!down) this.startWaiting();
      },
      () => this.consumer?.resultStore.check?.() ?? Promise.resolve(),
    );
    this.reporterSettings = { outage: this.outage, timeoutMs: resultStoreTimeoutMs };
    this.logs = { debug: isLevelEnabled(ports.logger, 'debug'), info: isLevelEnabled(ports.logger, 'info') };
    if (options.handleProcessErrors ?? true) this.crashGuard = new CrashGuard(ports.logger, (error, kind) => this.onFatal(error, kind));
    this.execution = {
      timeLimits: { timeLimit: options.timeLimit, softTimeLimit: options.softTimeLimit },
      threads: this.threads,
      logger: ports.logger,
      ...(this.crashGuard ? { crashes: this.crashGuard } : {}),
    };
  }

  /** Number of deliveries being handled right now. */
  get running(): number {
    return this.inFlight;
  }

  /** Connect, declare the queues (existing ones are used as they are) and start consuming. */
  async start(): Promise<void> {
    await this.transport.connect(); // the first connection fails fast with a clear error
    if (this.ports.resultStores.kind === 'redis') {
      // A worker that could never store a result would run tasks and hold them all: fail at start instead.
      this.sharedStore = this.ports.resultStores.create(undefined, this.options.resultSerializer);
      await this.sharedStore.check?.();
    }
    this.crashGuard?.install();
    // After a broker restart or a dropped connection: declare and consume again, in this process.
    this.transport.onReconnect(() => this.resume());
    this.transport.onFailure((error) => this.emit('error', error));
    await this.consume();
    this.logBanner();
    this.warnUnknownQueues();
  }

  /** Open a consuming channel unless one is open or opening (reconnects and channel errors both call this). */
  private resume(): void {
    if (this.stopping || this.consumer?.isOpen || this.opening) return;
    this.opening = this.consume()
      .catch((err: unknown) => {
        this.ports.logger.error(`Could not resume consuming: ${(err as Error).message}; retrying in 1 s.`);
        setTimeout(() => this.resume(), 1000).unref();
      })
      .finally(() => {
        this.opening = undefined;
      });
  }

  private async consume(): Promise<void> {
    const declarations = this.consumed;
    await this.transport.declareQueues(declarations);
    const connection = await this.transport.channels();
    const names = declarations.map((queue) => queue.name);

    const consumer = await ConsumerChannel.open(connection, {
      queues: names,
      prefetch: this.prefetch,
      // Quorum queues refuse a channel-wide prefetch: each consumer then gets its own, and a
      // delivery beyond `concurrency` waits here (band queues: the highest band's first).
      channelWide: names.length > 1 && declarations.every((queue) => queue.queueType !== 'quorum'),
      resultStore: (channel) =>
        this.sharedStore
          ? { store: this.sharedStore, owned: false }
          : { store: this.ports.resultStores.create(channel, this.options.resultSerializer), owned: true },
      reporter: this.reporterSettings,
      logger: this.ports.logger,
      onClosed: (closed) => {
        // Unacked deliveries of this channel go back to the queue: forget the ones waiting for a slot.
        this.waiting = this.waiting.filter((delivery) => delivery.settler !== closed.settler);
        if (this.consumer === closed && !this.stopping && !this.fatal) setTimeout(() => this.resume(), 100).unref();
      },
    });
    this.consumer = consumer;
    await consumer.consume(names, (queue, message, settler) => this.onDelivery(queue, message, settler));
  }

  /** The latest consuming channel's reporter (results of tasks from an older one go out through it too). */
  private reporterNow(): ResultReporter {
    if (!this.consumer) throw new TaskqError('CLOSED', 'The worker is not started.');
    return this.consumer.reporter;
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
    await this.consumer?.cancel();
    // Prefetched tasks that have not started go back to the queue now, for other workers.
    for (const { message, settler } of this.waiting.splice(0)) settler.settle(message, 'not-started');
    if (this.inFlight > 0) {
      this.ports.logger.info(`Waiting for ${this.inFlight} running task(s) to finish (up to ${this.drainTimeoutMs} ms)…`);
      let drained = await this.waitIdle(this.drainTimeoutMs);
      if (!drained && this.outage.active) {
        // Results held through an outage are dead-lettered with the result kept, not run again elsewhere.
        this.consumer?.reporter.abandon();
        drained = await this.waitIdle(5_000);
      }
      if (!drained) {
        this.ports.logger.warn(
          `${this.inFlight} task(s) still running after ${this.drainTimeoutMs} ms; closing: the broker will redeliver them.`,
        );
      }
    }
    this.crashGuard?.uninstall();
    this.outage.close();
    await this.threads.close();
    // Acks of the last tasks, then the channel and the result store it owns.
    await this.consumer?.close();
    await this.sharedStore?.close().catch(() => undefined);
    await this.transport.close();
    this.ports.logger.info('Worker stopped.');
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

  private onDelivery(queue: string, message: ConsumeMessage, settler: ChannelSettler): void {
    if (this.stopping || this.fatal) {
      settler.settle(message, 'not-started');
      return;
    }
    settler.delivered(message);
    // amqplib builds headers by assignment, so a header named __proto__ becomes their prototype:
    // from here on only own properties are headers.
    message.properties.headers = ownHeaders(message.properties.headers);
    const alone = this.runsAlone(queue, message);
    // Arrival (priority) order is kept: a delivery waits while others wait before it.
    if (this.waiting.length === 0 && this.canStart(alone)) this.run(queue, message, settler, alone);
    else this.wait({ queue, message, settler, alone, rank: this.ranks?.get(queue) ?? 0 });
  }

  /**
   * A delivery that came back after its worker died runs alone: a counted copy (classic queues), or
   * the redelivered message itself when its quorum queue counted the delivery (`x-delivery-count`).
   */
  private runsAlone(queue: string, message: ConsumeMessage): boolean {
    const { headers } = message.properties;
    if (!message.fields.redelivered) return countHeader(headers, DELIVERY_COUNT_HEADERS.redeliveries) > 0;
    return this.quorumQueues.has(queue) && decideRedelivery(true, headers, this.maxRedeliveries, true).kind === 'run-alone';
  }

  /**
   * Queue a delivery for a free slot: behind every waiting one of its band or a higher one, ahead
   * of lower bands, so the next free slot goes to the most urgent band that has work (the overtake
   * bound of a priority queue: at most `concurrency` lower tasks start after a higher one arrived).
   */
  private wait(delivery: Waiting): void {
    const { waiting } = this;
    if (delivery.rank === 0 || waiting.length === 0 || waiting[waiting.length - 1]!.rank >= delivery.rank) {
      waiting.push(delivery);
      return;
    }
    const at = waiting.findIndex((other) => other.rank < delivery.rank);
    waiting.splice(at, 0, delivery);
  }

  /**
   * Whether a delivery may start now: never while the result backend is down or a redelivered
   * task runs alone; a redelivered one only when nothing else runs; others up to the concurrency.
   */
  private canStart(alone: boolean): boolean {
    if (this.outage.active || this.soloRunning) return false;
    return alone ? this.inFlight === 0 : this.inFlight < this.concurrency;
  }

  private run(queue: string, message: ConsumeMessage, settler: ChannelSettler, alone: boolean): void {
    this.inFlight++;
    if (alone) {
      this.soloRunning = true;
      this.runAlone(queue, message, settler);
      return;
    }
    this.runNow(queue, message, settler, alone);
  }

  /**
   * Before a redelivered task runs alone it may kill this process in its first tick, so: nothing
   * more is delivered while it runs (prefetch 1 on classic queues, the consumers paused on quorum ones); deliveries already here and not started are handed
   * back (copies confirmed in their queues, counts unchanged, then acked), so its crash cannot count
   * against them; and a round trip on the channel (the broker handles a channel's frames in order)
   * proves those acks, and the acks and rpc replies of the tasks before it, reached the broker.
   */
  private runAlone(queue: string, message: ConsumeMessage, settler: ChannelSettler): void {
    this.prepareSolo(queue, settler).then(
      () => this.runNow(queue, message, settler, true),
      // The channel is gone, and the delivery with it: the broker hands it out again.
      () => this.finish(settler, message, 'not-started', true),
    );
  }

  private async prepareSolo(queue: string, settler: ChannelSettler): Promise<void> {
    if (this.quorumQueues.size === 0) {
      // Classic queues: a channel-wide prefetch of 1 (RabbitMQ applies a new per-consumer limit only
      // to consumers created after it), then a round trip: every delivery sent before it has arrived.
      await settler.channel.prefetch(1, true);
      await settler.channel.checkQueue(queue);
    } else {
      // Quorum queues refuse a channel-wide prefetch (the broker closes the connection): cancel the
      // consumers instead; every delivery sent before the cancel-ok has arrived.
      const consumer = this.consumer;
      // Its channel is gone (and the delivery with it): the broker hands it out again.
      if (!consumer?.isOpen || consumer.settler !== settler) throw new TaskqError('CLOSED', 'The consuming channel closed.');
      await consumer.pause();
    }
    const mine = this.waiting.filter((delivery) => delivery.settler === settler);
    this.waiting = this.waiting.filter((delivery) => delivery.settler !== settler);
    for (const delivery of mine) {
      try {
        await this.failures.publishToQueue(delivery.queue, encodedCopy(delivery.message), 0, `handed back from queue '${delivery.queue}'`);
        settler.settle(delivery.message, 'handed-back');
      } catch {
        settler.settle(delivery.message, 'not-started'); // it never started: back to the queue
      }
    }
    settler.flush();
    await settler.channel.checkQueue(queue);
  }

  private runNow(queue: string, message: ConsumeMessage, settler: ChannelSettler, alone: boolean): void {
    let outcome: DeliveryOutcome | Promise<DeliveryOutcome>;
    try {
      outcome = this.handle(queue, message);
    } catch (err) {
      outcome = this.failures.internalError(queue, message, err);
    }
    // A synchronous task settles in this tick, as a bare consumer would; others when they finish.
    if (outcome instanceof Promise) {
      outcome.then(
        (done) => this.finish(settler, message, done, alone),
        (err: unknown) => this.failures.internalError(queue, message, err).then((done) => this.finish(settler, message, done, alone)),
      );
    } else {
      this.finish(settler, message, outcome, alone);
    }
  }

  private finish(settler: ChannelSettler, message: ConsumeMessage, outcome: DeliveryOutcome, alone: boolean): void {
    settler.settle(message, outcome);
    this.inFlight--;
    if (alone) {
      this.soloRunning = false;
      // Deliveries resume (a closed channel's next generation sets its own prefetch and consumes by itself).
      if (this.quorumQueues.size === 0) {
        // One queue: per-consumer prefetch, no channel-wide limit; several: the shared window.
        settler.channel.prefetch(this.consumed.length > 1 ? this.prefetch : 0, true).catch(() => undefined);
      } else if (this.consumer?.settler === settler) {
        this.consumer.resume().catch(() => undefined);
      }
    }
    this.startWaiting();
    if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Fill free slots from the waiting deliveries. One loop at a time, so synchronous tasks never recurse. */
  private startWaiting(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiting.length > 0) {
        if (this.stopping || this.fatal) {
          const { message, settler } = this.waiting.shift()!;
          settler.settle(message, 'not-started');
          continue;
        }
        if (!this.canStart(this.waiting[0]!.alone)) break;
        const { queue, message, settler, alone } = this.waiting.shift()!;
        this.run(queue, message, settler, alone);
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * An uncaught exception or unhandled rejection from outside every task: taskq's own state can no
   * longer be trusted. Ack what finished, close the channel (the broker takes back what is in hand,
   * and counts it redelivered), and exit with code 1, as Node would have.
   */
  private onFatal(error: unknown, kind: CrashKind): void {
    if (this.fatal) return;
    this.fatal = true;
    this.ports.logger.error(
      `An ${kind} outside any task: ${errorText(error)}. Exiting (code 1); the tasks in hand go back to the broker.`,
      error,
    );
    const closing = this.consumer?.close() ?? Promise.resolve();
    const exit = (): never => process.exit(1);
    void Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 1000).unref())]).then(exit, exit);
  }

  /** Decide what to do with one delivery and do it; synchronous all the way for a synchronous task without a result. */
  private handle(queue: string, message: ConsumeMessage): DeliveryOutcome | Promise<DeliveryOutcome> {
    const { logger } = this.ports;
    const reporter = this.reporterNow();
    // Size and signature are checked before a single byte is decoded.
    const refusal = screenDelivery(message.content, message.properties, {
      maxMessageBytes: this.ports.maxMessageBytes,
      signer: this.ports.signer,
    });
    if (refusal) return this.failures.deadLetter(queue, message, refusal.reason, refusal.error);
    let request: TaskRequest;
    try {
      request = parseTaskMessage(message.content, message.properties, this.accept);
    } catch (err) {
      return this.failures.deadLetter(queue, message, undecodableReason(err), err);
    }

    if (request.eta && etaOutOfRange(request.eta, Date.now())) {
      const error = new TaskqError(
        'ETA_OUT_OF_RANGE',
        `Task ${request.name}[${request.id}] has eta ${request.eta.toISOString()}, further ahead than the longest delay the broker's delay queues hold ` +
          `(${MAX_DELAY_SECONDS} s, about 8.5 years). Send it with a nearer eta or countdown.`,
      );
      return this.failures.deadLetter(queue, message, 'eta-out-of-range', error, request);
    }

    const task = this.ports.tasks.find(request.name);
    if (!task) return this.failures.unknownTask(queue, message, request);

    const redelivery = decideRedelivery(
      message.fields.redelivered,
      message.properties.headers,
      this.maxRedeliveries,
      this.quorumQueues.has(queue),
    );
    if (redelivery.kind === 'recount') return this.failures.recount(queue, message, request, redelivery.redeliveries);
    if (redelivery.kind === 'give-up') {
      const error = new TaskqError(
        'WORKER_CRASH',
        `Task ${request.name}[${request.id}] came back from the broker ${redelivery.redeliveries} times without finishing: each time, the worker ` +
          `running it died or lost its broker connection (maxRedeliveries ${this.maxRedeliveries}). Look for a crash in the worker logs ` +
          `(process.exit, out of memory, a native crash); run it with isolate: 'thread' to contain it.`,
      );
      return this.failures.deadLetter(queue, message, 'worker-crash', error, request);
    }

    if (request.expires && request.expires.getTime() <= Date.now()) {
      const label = `${request.name}[${request.id}]`;
      logger.warn(`Task ${label} expired at ${request.expires.toISOString()}; not running it.`);
      if (!reporter.wantsResult(request)) return 'expired';
      const error = new TaskqError('TASK_EXPIRED', `Task ${label} expired at ${request.expires.toISOString()} before it could run.`);
      return reporter
        .failure(request, error, 'REVOKED')
        .then((report) => this.failures.afterReport(queue, message, request, report, 'expired'));
    }

    // A counted copy was redelivered before, though the broker delivers the copy itself afresh.
    const redelivered = message.fields.redelivered || redelivery.kind === 'run-alone';
    if (request.eta) {
      const wait = request.eta.getTime() - Date.now();
      if (wait >= IN_PROCESS_WAIT_LIMIT_MS) return this.failures.redelay(queue, message, request, wait);
      if (wait > 0) return sleep(wait).then(() => this.execute(queue, message, request, task, redelivered));
    }
    return this.execute(queue, message, request, task, redelivered);
  }

  private execute(
    queue: string,
    message: ConsumeMessage,
    request: TaskRequest,
    task: Task<unknown[], unknown>,
    redelivered: boolean,
  ): DeliveryOutcome | Promise<DeliveryOutcome> {
    if (this.logs.debug) this.ports.logger.debug(`Task ${request.name}[${request.id}] received from '${queue}'.`);
    const result = executeTask(
      task,
      {
        id: request.id,
        name: request.name,
        kwargs: request.kwargs,
        retries: request.retries,
        redelivered,
        queue,
        request,
        retry: throwRetry,
      },
      this.execution,
    );
    return result instanceof Promise
      ? result.then((done) => this.afterRunSafely(queue, message, request, task, done))
      : this.afterRunSafely(queue, message, request, task, result);
  }

  /** The task ran: whatever goes wrong from here, it is never run again because of it. */
  private afterRunSafely(
    queue: string,
    message: ConsumeMessage,
    request: TaskRequest,
    task: Task<unknown[], unknown>,
    result: ExecutionResult,
  ): DeliveryOutcome | Promise<DeliveryOutcome> {
    const ranAnyway = (err: unknown): DeliveryOutcome => {
      this.ports.logger.error(
        `Internal error after task ${request.name}[${request.id}] ran; acking it (it is not run again): ${errorText(err)}`,
        err,
      );
      return result.ok ? 'succeeded' : 'failed';
    };
    try {
      const outcome = this.afterRun(queue, message, request, task, result);
      return outcome instanceof Promise ? outcome.catch(ranAnyway) : outcome;
    } catch (err) {
      return ranAnyway(err);
    }
  }

  private afterRun(
    queue: string,
    message: ConsumeMessage,
    request: TaskRequest,
    task: Task<unknown[], unknown>,
    result: ExecutionResult,
  ): DeliveryOutcome | Promise<DeliveryOutcome> {
    if (!result.ok) return this.failures.afterFailure(queue, message, request, task, result.error, result.runtimeMs);
    if (this.logs.info) {
      this.ports.logger.info(
        `Task ${request.name}[${request.id}] succeeded in ${(result.runtimeMs / 1000).toFixed(3)}s: ${describeValue(result.value)}`,
      );
    }
    const reporter = this.reporterNow();
    if (!reporter.wantsResult(request)) {
      emitSafely(this, this.ports.logger, 'task-succeeded', request, result.value, result.runtimeMs);
      return 'succeeded';
    }
    return reporter.success(request, result.value).then((report) => {
      emitSafely(this, this.ports.logger, 'task-succeeded', request, result.value, result.runtimeMs);
      return this.failures.afterReport(queue, message, request, report, 'succeeded');
    });
  }

  /** One line per consumed queue that nothing routes to (often a typo of one that something does). */
  private warnUnknownQueues(): void {
    const app = this.ports;
    const { config } = app.router;
    const known = {
      defined: config.queues.map((route) => route.queue.name),
      routedTo: app.tasks.names().flatMap((name) => app.router.resolve(name).queue?.name ?? []),
      builtIn: [config.defaults.defaultQueue, app.deadLetterQueue],
      hasRoutingFiles: config.sources.length > 0,
    };
    for (const queue of this.queues) {
      const warning = unknownQueueWarning(queue, known);
      if (warning) app.logger.warn(warning);
    }
  }

  private logBanner(): void {
    const app = this.ports;
    const queues = this.queues.map((name) => {
      const decl = app.router.queue(name);
      const bands = app.router.consumeQueues(name);
      if (bands.length > 1)
        return `${name} (quorum, priority bands: ${[...bands]
          .reverse()
          .map((band) => band.name)
          .join(', ')})`;
      const type = decl.queueType === 'quorum' ? 'quorum' : undefined;
      const priority = decl.maxPriority && decl.queueType !== 'quorum' ? `max priority ${decl.maxPriority}` : undefined;
      const notes = [type, priority].filter(Boolean);
      return notes.length > 0 ? `${name} (${notes.join(', ')})` : name;
    });
    const tasks = app.tasks.names();
    app.logger.info(
      [
        'taskq worker ready',
        `  broker:      ${app.brokerUrlMasked}`,
        `  queues:      ${queues.join(', ')}`,
        `  concurrency: ${this.concurrency} (prefetch ${this.prefetch})`,
        ...(this.options.timeLimit || this.options.softTimeLimit
          ? [
              `  time limits: hard ${seconds(this.options.timeLimit)}, soft ${seconds(this.options.softTimeLimit)} (defaults; tasks and callers may set their own)`,
            ]
          : []),
        `  accept:      ${this.accept.contentTypes.join(', ')} (bodies up to ${app.maxMessageBytes} bytes)`,
        `  signing:     ${app.signer ? (app.signer.required ? 'HMAC-SHA256, signatures required' : 'HMAC-SHA256, unsigned messages allowed') : 'off'}`,
        `  dead letters: ${app.deadLetterQueue} (unless a queue's routing file names a deadLetter target)`,
        `  routing:     ${app.configSource ?? '(no routing files)'}`,
        `  results:     ${app.resultBackendMasked}${app.resultStores.kind === 'redis' ? ` (held up to ${this.reporterSettings.timeoutMs / 1000} s through an outage)` : ''}`,
        `  crashes:     dead-lettered after ${this.maxRedeliveries} redeliveries; ${this.crashGuard ? 'uncaught errors from a task fail that task' : 'process error handlers left to the application'}`,
        `  tasks (${tasks.length}): ${tasks.length ? tasks.join(', ') : '(none registered — check --app)'}`,
      ].join('\n'),
    );
  }
}

/** Band ranks of the band queues in `groups` (each the consume list of one queue, highest band first). */
function bandRanks(groups: readonly (readonly QueueDeclaration[])[]): Map<string, number> | undefined {
  if (groups.every((group) => group.length < 2)) return undefined;
  const ranks = new Map<string, number>();
  for (const group of groups) {
    for (const [i, queue] of group.entries()) ranks.set(queue.name, group.length - 1 - i);
  }
  return ranks;
}

function checkConcurrency(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new TaskqError('INVALID_OPTION', `concurrency must be a whole number from 1 to 65535, found ${String(value)}.`);
  }
  return value;
}

function prefetchFor(concurrency: number, multiplier: number): number {
  if (!Number.isInteger(multiplier) || multiplier < 1) {
    throw new TaskqError('INVALID_OPTION', `prefetchMultiplier must be a whole number ≥ 1, found ${String(multiplier)}.`);
  }
  if (concurrency * multiplier > MAX_PREFETCH) {
    throw new TaskqError(
      'INVALID_OPTION',
      `concurrency × prefetchMultiplier (${concurrency} × ${multiplier}) is over AMQP's prefetch limit of ${MAX_PREFETCH}; lower one of them.`,
    );
  }
  return concurrency * multiplier;
}

function isLevelEnabled(logger: Logger, level: 'debug' | 'info'): boolean {
  return logger.isLevelEnabled?.(level) ?? true;
}

function throwRetry(request?: RetryRequest): never {
  throw new Retry(request);
}

function checkQueues(queues: readonly string[]): string[] {
  const names = queues.map((q) => (typeof q === 'string' ? q.trim() : q));
  if (names.length === 0 || names.some((q) => typeof q !== 'string' || q === '')) {
    throw new TaskqError('INVALID_OPTION', `queues must be a list of non-empty queue names, found ${JSON.stringify(queues)}.`);
  }
  return [...new Set(names as string[])];
}

function checkWhole(value: number, name: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TaskqError('INVALID_OPTION', `${name} must be a whole number ≥ ${min}, found ${String(value)}.`);
  }
  return value;
}

function seconds(value: number | undefined): string {
  return value === undefined ? 'none' : `${value} s`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
