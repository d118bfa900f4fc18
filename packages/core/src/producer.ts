import { BrokerError, MessageTooLargeError, TaskqError } from './errors';
import { buildTaskMessage, newTaskId, type EncodedMessage, type OutgoingTask } from './protocol';
import { AsyncResult, type ResultBackend } from './results';
import { pickPriorityBand, type PublishTarget, type ResolvedRoute, type Router } from './routing';
import { SEND_OPTION_KEYS, type SendOptions } from './send-options';
import type { SerializerRegistry } from './serialization';
import { SIGNATURE_HEADER, type MessageSigner } from './signing';
import { checkTimeLimits } from './time-limits';
import { beforeDeadline, delayRoutingKey, ladderEntry, splitDelay, toPublishOptions, type Transport } from './transport';
import { DeadlineQueue } from './transport/deadline-queue';
import { DeclarationWaits } from './declaration-waits';

/** What the producer needs from its app. */
export interface ProducerParts {
  router: Router;
  serializers: SerializerRegistry;
  /** The broker: declarations, the delay ladder and confirmed publishing. */
  transport: Transport;
  results: ResultBackend | undefined;
  /** How long a send may wait for the broker (connection recovery included). */
  sendTimeoutMs: number;
  /** The largest task body to send, in bytes. @defaultValue no limit */
  maxMessageBytes?: number;
  /** Signs every task message when set. */
  signer?: MessageSigner | undefined;
}

/** One send, validated, routed and encoded, ready to publish. */
interface PreparedSend {
  id: string;
  name: string;
  ignoreResult: boolean;
  route: ResolvedRoute;
  message: EncodedMessage;
  /** How long the broker must hold the message first (countdown/eta), in ms. */
  delayMs: number;
}

/**
 * Turns `sendTask` calls into confirmed broker messages: validate options, route, encode
 * (Celery protocol v2), make sure the queue exists, publish (directly or into the delay ladder)
 * and resolve once the broker confirmed.
 */
export class Producer {
  /** Delayed and exchange-routed sends waiting for a declaration (see {@link untilDeclared}). */
  private readonly declarationDeadlines = new DeadlineQueue(() => this.unavailable());
  /** Plain sends waiting for their queue's declaration, one list per queue. */
  private readonly declarationWaits = new DeclarationWaits(() => this.unavailable());

  constructor(private readonly parts: ProducerParts) {}

  /**
   * Send one task; resolves with its result handle once the broker confirmed the message. Invalid
   * options reject (never throw). The common case — results off or started, the queue declared,
   * no delay — runs synchronously up to amqplib's publish: nothing per send waits in an async
   * function's frame while the confirm is outstanding.
   */
  send<R>(name: string, args: readonly unknown[], options: SendOptions = {}): Promise<AsyncResult<R>> {
    let prepared: PreparedSend;
    try {
      prepared = this.prepare(name, args, options);
    } catch (err) {
      return Promise.reject(err);
    }
    // Only a message that can be sent starts the result backend (its reply queue needs the broker).
    const backend = prepared.ignoreResult ? undefined : this.parts.results;
    if (backend && !backend.isStarted) return this.startThenSend(prepared, backend);
    try {
      return this.sendPrepared(prepared, backend);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Validate, route and encode one send (Celery protocol v2); throws on invalid options. */
  private prepare(name: string, args: readonly unknown[], options: SendOptions): PreparedSend {
    checkSendArguments(name, args, options);
    const { router, serializers } = this.parts;
    const defaults = router.config.defaults;
    const route = router.resolve(name, options);
    const serializer = serializers.get(options.serializer ?? defaults.serializer);
    const id = options.taskId ?? newTaskId();
    const ignoreResult = options.ignoreResult ?? defaults.ignoreResult;
    const now = Date.now();
    const eta = readEta(options, now);
    const priority = options.priority ?? defaults.priority;

    // Built field by field (no spread temporaries): this runs once per message.
    const task: OutgoingTask = { id, name, args, kwargs: options.kwargs ?? {}, ignoreResult };
    if (eta) task.eta = eta;
    if (options.expires !== undefined) task.expires = readExpires(options.expires, now);
    if (priority !== undefined) task.priority = priority;
    if (options.headers) task.headers = options.headers;
    // Celery's `timelimit: [hard, soft]` header, only when the call sets a limit.
    if (options.timeLimit !== undefined || options.softTimeLimit !== undefined) {
      task.timeLimit = [options.timeLimit ?? null, options.softTimeLimit ?? null];
    }
    const message = buildTaskMessage(task, serializer);
    const { maxMessageBytes } = this.parts;
    if (maxMessageBytes !== undefined && message.content.length > maxMessageBytes) {
      throw new MessageTooLargeError(name, message.content.length, maxMessageBytes);
    }
    return { id, name, ignoreResult, route, message, delayMs: eta ? eta.getTime() - now : 0 };
  }

  private async startThenSend<R>(prepared: PreparedSend, backend: ResultBackend): Promise<AsyncResult<R>> {
    await backend.start();
    return this.sendPrepared(prepared, backend);
  }

  /** Sign, track the result and publish a prepared send. */
  private sendPrepared<R>(
    { id, name, route, message, delayMs }: PreparedSend,
    backend: ResultBackend | undefined,
  ): Promise<AsyncResult<R>> {
    const { signer } = this.parts;
    if (backend?.replyTo) message.replyTo = backend.replyTo;
    if (signer) message.headers[SIGNATURE_HEADER] = signer.sign(message.headers, message, message.content);
    const result = new AsyncResult<R>(id, name, backend);
    if (!backend) return this.publishResolving(route, message, delayMs, result);
    backend.track(id, result);
    return this.publishResolving(route, message, delayMs, result).catch((err: unknown) => {
      backend.untrack(id);
      throw err;
    });
  }

  /** Publish an already-encoded message on `route`, through the delay ladder when `delayMs` ≥ 1 s. */
  publish(route: ResolvedRoute, message: EncodedMessage, delayMs = 0): Promise<void> {
    return this.publishResolving(route, message, delayMs, undefined);
  }

  /** {@link publish}, resolving with `value` on the confirm (no `then` per message on the common path). */
  private publishResolving<T>(route: ResolvedRoute, message: EncodedMessage, delayMs: number, value: T): Promise<T> {
    const { transport } = this.parts;
    // The route itself unless its queue has priority bands (then the band's queue, by name).
    const target = pickPriorityBand(route, message.priority);
    if (!(delayMs >= 1000)) {
      const declared = target.queue ? transport.isQueueReady(target.queue.name) : !route.exchangeDeclaration;
      // The common case (topology known, no delay for the ladder — see splitDelay) goes straight to
      // the confirm channel: no extra awaits.
      if (declared) return transport.publish(target.exchange, target.routingKey, message.content, toPublishOptions(message), value);
      // The first sends to a new queue wait in one list until its declaration is done.
      const queue = target.queue;
      if (queue) {
        const deadline = Date.now() + this.parts.sendTimeoutMs;
        return this.declarationWaits.after(
          queue.name,
          () => transport.ensureQueue(queue),
          deadline,
          () => transport.publish(target.exchange, target.routingKey, message.content, toPublishOptions(message), value),
        );
      }
    }
    return this.declareAndPublish(route, target, message, delayMs).then(() => value);
  }

  private async declareAndPublish(route: ResolvedRoute, target: PublishTarget, message: EncodedMessage, delayMs: number): Promise<void> {
    const { transport } = this.parts;
    // Declarations wait for the connection like publishes do, bounded by the same send timeout.
    const deadline = Date.now() + this.parts.sendTimeoutMs;
    if (target.queue && !transport.isQueueReady(target.queue.name)) {
      await this.untilDeclared(transport.ensureQueue(target.queue), deadline);
    } else if (!target.queue && route.exchangeDeclaration) {
      await this.untilDeclared(transport.ensureExchange(route.exchangeDeclaration), deadline);
    }

    const { ladderSeconds } = splitDelay(delayMs);
    if (ladderSeconds > 0) {
      if (!target.queue) {
        throw new TaskqError(
          'DELAY_NEEDS_QUEUE',
          `A delayed task (countdown/eta) needs a target queue, but exchange '${route.exchange}' with routing key ` +
            `'${route.routingKey}' matches no configured queue. Pass { queue } or declare the queue in a routing file.`,
        );
      }
      // A quorum queue's delays wait in the quorum ladder: replicated like the queue itself.
      const ladder = target.queue.queueType;
      if (!transport.isDelayTargetReady(target.queue.name, ladder)) {
        await beforeDeadline(transport.ensureDelayTarget(target.queue.name, ladder), deadline, () => this.unavailable());
      }
      return transport.publish(
        ladderEntry(ladder),
        delayRoutingKey(ladderSeconds, target.queue.name),
        message.content,
        toPublishOptions(message),
      );
    }
    // Returned, not awaited: this frame ends here instead of living until the confirm.
    return transport.publish(target.exchange, target.routingKey, message.content, toPublishOptions(message));
  }

  /**
   * Wait for a queue or exchange declaration until `deadline`. The first sends to a new queue all
   * wait for the same declaration; their deadlines share one timer, not one each.
   */
  private untilDeclared(declaration: Promise<void>, deadline: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wait = this.declarationDeadlines.add(deadline, reject);
      declaration.then(
        () => {
          this.declarationDeadlines.settle(wait);
          resolve();
        },
        (err: unknown) => {
          this.declarationDeadlines.settle(wait);
          reject(err);
        },
      );
    });
  }

  private unavailable(): BrokerError {
    return new BrokerError(
      'BROKER_UNAVAILABLE',
      `The broker could not be reached within ${this.parts.sendTimeoutMs} ms; the message was not sent. ` +
        `Check that RabbitMQ is running, or raise sendTimeoutMs.`,
    );
  }
}

function checkSendArguments(name: string, args: readonly unknown[], options: SendOptions): void {
  if (typeof name !== 'string' || name === '') {
    throw new TaskqError('INVALID_OPTION', `Task name must be a non-empty string, found ${JSON.stringify(name)}.`);
  }
  if (!Array.isArray(args)) {
    throw new TaskqError(
      'INVALID_OPTION',
      `Arguments for task '${name}' must be an array (e.g. apply_async([2, 3])), found ${typeof args}.`,
    );
  }
  if (options === null || typeof options !== 'object') {
    throw new TaskqError(
      'INVALID_OPTION',
      `Send options for task '${name}' must be an object, found ${options === null ? 'null' : typeof options}.`,
    );
  }
  for (const key in options) {
    if (!SEND_OPTION_KEYS.has(key) && Object.hasOwn(options, key)) {
      throw new TaskqError(
        'INVALID_OPTION',
        `Unknown send option '${key}' for task '${name}'. Known options: ${[...SEND_OPTION_KEYS].join(', ')}.`,
      );
    }
  }
  const { priority, countdown } = options;
  if (priority !== undefined && !(Number.isInteger(priority) && priority >= 0 && priority <= 255)) {
    throw new TaskqError('INVALID_OPTION', `priority for task '${name}' must be an integer from 0 to 255, found ${String(priority)}.`);
  }
  if (countdown !== undefined && !(typeof countdown === 'number' && Number.isFinite(countdown) && countdown >= 0)) {
    throw new TaskqError('INVALID_OPTION', `countdown for task '${name}' must be a number of seconds ≥ 0, found ${String(countdown)}.`);
  }
  if (countdown !== undefined && options.eta !== undefined) {
    throw new TaskqError('INVALID_OPTION', `Task '${name}': pass either countdown or eta, not both.`);
  }
  if (options.kwargs !== undefined && (options.kwargs === null || typeof options.kwargs !== 'object' || Array.isArray(options.kwargs))) {
    throw new TaskqError('INVALID_OPTION', `kwargs for task '${name}' must be a plain object of named arguments.`);
  }
  if (options.timeLimit !== undefined || options.softTimeLimit !== undefined) {
    checkTimeLimits(options, `Send options for task '${name}'`);
  }
}

function readEta(options: SendOptions, now: number): Date | undefined {
  if (options.countdown !== undefined) return options.countdown > 0 ? new Date(now + options.countdown * 1000) : undefined;
  if (options.eta === undefined) return undefined;
  const eta = options.eta instanceof Date ? options.eta : new Date(options.eta);
  if (Number.isNaN(eta.getTime())) {
    throw new TaskqError('INVALID_OPTION', `eta must be a Date or an ISO 8601 string, found ${JSON.stringify(options.eta)}.`);
  }
  return eta;
}

function readExpires(expires: Date | string | number, now: number): Date {
  if (typeof expires === 'number') {
    if (!(Number.isFinite(expires) && expires >= 0)) {
      throw new TaskqError('INVALID_OPTION', `expires as a number means seconds from now and must be ≥ 0, found ${expires}.`);
    }
    return new Date(now + expires * 1000);
  }
  const date = expires instanceof Date ? expires : new Date(expires);
  if (Number.isNaN(date.getTime())) {
    throw new TaskqError(
      'INVALID_OPTION',
      `expires must be a Date, an ISO 8601 string or seconds from now, found ${JSON.stringify(expires)}.`,
    );
  }
  return date;
}
