import { DEFAULT_ACCEPT, DEFAULT_MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES_LIMIT, type AppOptions, type AppOverrides } from './app-options';
import { DEFAULT_DEAD_LETTER_QUEUE } from './dead-letters';
import { EventLoopHold } from './event-loop-hold';
import { TaskqError } from './errors';
import { checkTimezone, ScheduleRegistry, type ScheduleEntry, type ScheduleEntryOptions } from './beat';
import { createConsoleLogger, isLogLevel, type Logger, type LogLevel } from './logger';
import { ProducerSide } from './producer-side';
import { parseResultBackend, type AsyncResult, type ResultBackendSetting, type ResultSettings } from './results';
import { emptyRoutingConfig, loadRoutingConfigSync, Router, validateRoutingDefaults, type RoutingConfig } from './routing';
import type { SendOptions } from './send-options';
import { createSerializerRegistry, type AcceptList, type SerializerRegistry } from './serialization';
import { resolveSigning, type MessageSigner } from './signing';
import { Task, type TaskHandler, type TaskOptions } from './task';
import { TaskRegistry } from './task-registry';
import { checkTimeLimits } from './time-limits';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_BROKER_URL, DEFAULT_SEND_TIMEOUT_MS, maskBrokerUrl, validateBrokerUrls, type TransportSettings } from './transport';

/**
 * A taskq application: the registry of tasks, the routing table, the serializers and the
 * producer side of the broker connection. Create one per service with {@link createApp} and
 * export it, so `taskq worker --app <module>` can load it.
 */
export class TaskqApp {
  /** Marks app objects for the CLI's module loader (instanceof fails across package copies). */
  readonly isTaskqApp = true;
  /** Registered tasks by name. */
  readonly tasks = new TaskRegistry();
  /** Periodic tasks by entry name (`app.schedule()`); `taskq beat` sends them. */
  readonly schedules: ScheduleRegistry;
  /** The zone of schedules made without one (`timezone` option), or undefined for UTC. */
  readonly timezone: string | undefined;
  /** Serializers by name and content type; register your own here. */
  readonly serializers: SerializerRegistry;
  private brokerUrlValue: string;
  private configPath: string | undefined;
  private sourceModulePath: string | undefined;
  private routerValue: Router;
  private loggerValue: Logger;
  private readonly acceptNames: readonly string[];
  private readonly defaultsOverride: AppOptions['defaults'];
  private resultSetting: ResultBackendSetting;
  private readonly resultExpiresSeconds: number;
  private tls: AppOptions['tls'];
  private overridesValue: Omit<AppOverrides, 'logger'> = {};
  private readonly reconnect: AppOptions['reconnect'];
  /** How long a send may wait for the broker before it rejects. */
  readonly sendTimeoutMs: number;
  /** The largest task body producers send and workers accept, in bytes. */
  readonly maxMessageBytes: number;
  /** The default dead-letter queue (for queues without a `deadLetter` target in their routing file). */
  readonly deadLetterQueue: string;
  /** Signs sent tasks and checks received ones; undefined when signing is off. Never exposes its key. */
  readonly signer: MessageSigner | undefined;
  private producerSide: ProducerSide | undefined;
  /** Keeps the process alive while a send, a `get()` or `close()` is pending, and only then. */
  private readonly loopHold = new EventLoopHold();
  private closed = false;

  constructor(options: AppOptions = {}) {
    const level = resolveLogLevel(options.logLevel);
    this.loggerValue = options.logger ?? createConsoleLogger(level);
    this.serializers = createSerializerRegistry();
    for (const serializer of options.serializers ?? []) this.serializers.register(serializer);
    this.acceptNames = options.accept ?? DEFAULT_ACCEPT;
    this.serializers.acceptList(this.acceptNames); // fail fast on unknown or forbidden names
    this.brokerUrlValue = brokerUrlSetting(options.brokerUrl ?? process.env['TASKQ_BROKER_URL'] ?? DEFAULT_BROKER_URL);
    this.configPath = options.config ?? (process.env['TASKQ_CONFIG'] || undefined);
    this.defaultsOverride = options.defaults;
    this.routerValue = new Router(this.loadConfig());
    this.resultSetting = parseResultBackend(options.resultBackend ?? process.env['TASKQ_RESULT_BACKEND'] ?? 'rpc://');
    this.resultExpiresSeconds = checkResultExpires(options.resultExpires ?? 86_400);
    this.tls = options.tls;
    this.reconnect = options.reconnect;
    this.sendTimeoutMs = checkPositive(options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS, 'sendTimeoutMs');
    this.maxMessageBytes = checkMaxMessageBytes(options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    this.deadLetterQueue = checkDeadLetterQueue(options.deadLetterQueue ?? DEFAULT_DEAD_LETTER_QUEUE);
    this.signer = resolveSigning(options.signing);
    this.timezone = options.timezone === undefined ? undefined : checkTimezone(options.timezone, 'createApp({ timezone })');
    this.schedules = new ScheduleRegistry(() => this.timezone);
  }

  /** The result backend for logs: `rpc://`, the Redis URL with its password masked, or `disabled`. */
  get resultBackendMasked(): string {
    const setting = this.resultSetting;
    return setting.kind === 'redis' ? maskBrokerUrl(setting.url) : setting.kind === 'rpc' ? 'rpc://' : 'disabled';
  }

  /** The result backend setting in use (`rpc`, `redis` or `disabled`). */
  get resultBackendKind(): ResultBackendSetting['kind'] {
    return this.resultSetting.kind;
  }

  /** How this app's transports reach the broker (used by @taskq/worker and the CLI to open their own). */
  get transportSettings(): TransportSettings {
    return {
      url: this.brokerUrlValue,
      logger: this.loggerValue,
      tls: this.tls,
      reconnect: this.reconnect,
      sendTimeoutMs: this.sendTimeoutMs,
      queuesBoundTo: (exchange) => this.router.queuesBoundTo(exchange),
      deadLetterQueue: this.router.deadLetterQueue(this.deadLetterQueue),
    };
  }

  /** Which result backend this app uses and how long Redis keeps results (used by @taskq/worker). */
  get resultSettings(): ResultSettings {
    return {
      backend: this.resultSetting,
      expiresSeconds: this.resultExpiresSeconds,
      logger: this.loggerValue,
      replyQueueType: this.router.config.defaults.queueType,
    };
  }

  /** The broker URL with its password masked, for logs. */
  get brokerUrlMasked(): string {
    return maskBrokerUrl(this.brokerUrlValue);
  }

  /**
   * The broker URL — several separated by commas when the app was given a list (contains
   * passwords: never log it; use {@link brokerUrlMasked}).
   */
  get brokerUrl(): string {
    return this.brokerUrlValue;
  }

  /**
   * What configure() changed, without the logger (a function cannot cross threads): task threads
   * (`isolate: 'thread'`) load the tasks module again and apply these, so a task sending sub-tasks
   * from a thread uses the broker, routing and results the worker was started with.
   */
  get overrides(): Omit<AppOverrides, 'logger'> {
    return this.overridesValue;
  }

  /**
   * The module that defines this app and its tasks, if known (`taskq worker --app` sets it). Tasks
   * with `isolate: 'thread'` run in worker threads that load this module again.
   */
  get sourceModule(): string | undefined {
    return this.sourceModulePath;
  }

  /**
   * Record the module that defines this app (an absolute path or file URL), for workers not started
   * by the CLI: `app.setSourceModule(__filename)` in the tasks module.
   */
  setSourceModule(path: string): this {
    if (typeof path !== 'string' || path === '') {
      throw new TaskqError('INVALID_OPTION', `setSourceModule() needs the path of the tasks module, found ${JSON.stringify(path)}.`);
    }
    this.sourceModulePath = path.startsWith('file:') ? fileURLToPath(path) : resolvePath(path);
    return this;
  }

  /** Where the routing config was loaded from, if anywhere. */
  get configSource(): string | undefined {
    return this.configPath;
  }

  get router(): Router {
    return this.routerValue;
  }

  get logger(): Logger {
    return this.loggerValue;
  }

  /** The content types this app's workers accept. */
  acceptList(): AcceptList {
    return this.serializers.acceptList(this.acceptNames);
  }

  /**
   * Change the broker, routing config or logger after the app was created (the CLI's --broker and
   * --config). Only before the app connected.
   */
  configure(overrides: AppOverrides): this {
    if (this.producerSide?.transport.isOpen) {
      throw new TaskqError('APP_CONNECTED', 'configure() must be called before the app sends its first task.');
    }
    const { logger: _logger, ...cloneable } = overrides;
    this.overridesValue = { ...this.overridesValue, ...cloneable };
    if (overrides.brokerUrl !== undefined) this.brokerUrlValue = brokerUrlSetting(overrides.brokerUrl);
    if (overrides.logger) this.loggerValue = overrides.logger;
    if (overrides.tls) this.tls = { ...this.tls, ...overrides.tls };
    if (overrides.resultBackend !== undefined) this.resultSetting = parseResultBackend(overrides.resultBackend);
    if (overrides.config !== undefined) {
      this.configPath = overrides.config;
      this.routerValue = new Router(this.loadConfig());
    }
    this.producerSide = undefined;
    return this;
  }

  /**
   * Register a task. The handler receives the positional arguments callers pass; its argument
   * and result types flow to `apply_async`, `delay` and `get()`.
   */
  task<A extends unknown[], R>(name: string, handler: TaskHandler<A, R>, options: TaskOptions = {}): Task<A, R> {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new TaskqError('INVALID_TASK', `app.task() needs a non-empty task name as its first argument, found ${JSON.stringify(name)}.`);
    }
    if (typeof handler !== 'function') {
      throw new TaskqError('INVALID_TASK', `app.task('${name}', handler): the handler must be a function, found ${typeof handler}.`);
    }
    checkTimeLimits(options, `app.task('${name}')`, 'INVALID_TASK');
    if (options.isolate !== undefined && options.isolate !== 'none' && options.isolate !== 'thread') {
      throw new TaskqError(
        'INVALID_TASK',
        `app.task('${name}'): isolate must be 'none' or 'thread', found ${JSON.stringify(options.isolate)}.`,
      );
    }
    const task = new Task<A, R>(name, handler, this, options);
    this.tasks.add(task);
    return task;
  }

  /**
   * Send `entry.task` periodically, on `entry.schedule` (`cron()`, `crontab()` or `every()`), from
   * `taskq beat` (or `taskq worker --beat`). Entry names are unique per app and name the entry's
   * state in the broker; keep them stable.
   */
  schedule(name: string, entry: ScheduleEntryOptions): ScheduleEntry {
    return this.schedules.add(name, entry);
  }

  /**
   * Send a task by name — one defined elsewhere (another service, or Python Celery). Resolves
   * when the broker has confirmed the message.
   */
  sendTask<R = unknown>(name: string, args: readonly unknown[] = [], options: SendOptions = {}): Promise<AsyncResult<R>> {
    if (this.closed) return Promise.reject(new TaskqError('CLOSED', 'The app is closed; sendTask() after close() is not possible.'));
    return this.loopHold.during(this.producer().producer.send<R>(name, args, options));
  }

  /**
   * The app's sending half (transport, result backend, producer), created on first use; a worker
   * publishes retries and dead letters through it too.
   */
  producer(): ProducerSide {
    this.producerSide ??= new ProducerSide({
      transport: this.transportSettings,
      results: this.resultSettings,
      router: this.router,
      serializers: this.serializers,
      accept: this.acceptList(),
      maxMessageBytes: this.maxMessageBytes,
      signer: this.signer,
      hold: this.loopHold,
    });
    return this.producerSide;
  }

  /** Wait for outstanding confirms, then close the producer's channels and connection. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return this.loopHold.during(this.closeProducer());
  }

  private async closeProducer(): Promise<void> {
    await this.producerSide?.close();
  }

  private loadConfig(): RoutingConfig {
    const base = this.configPath ? loadRoutingConfigSync(this.configPath) : emptyRoutingConfig();
    if (!this.defaultsOverride) return base;
    const defaults = validateRoutingDefaults({ ...base.defaults, ...this.defaultsOverride }, 'createApp({ defaults })');
    return { ...base, defaults };
  }
}

function checkPositive(value: number, name: string): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new TaskqError('INVALID_OPTION', `${name} must be a positive number of milliseconds, found ${String(value)}.`);
  }
  return value;
}

function checkMaxMessageBytes(bytes: number): number {
  if (!(Number.isInteger(bytes) && bytes >= 1 && bytes <= MAX_MESSAGE_BYTES_LIMIT)) {
    throw new TaskqError(
      'INVALID_OPTION',
      `maxMessageBytes must be a whole number of bytes from 1 to ${MAX_MESSAGE_BYTES_LIMIT} (RabbitMQ's hard limit), found ${String(bytes)}.`,
    );
  }
  return bytes;
}

function checkDeadLetterQueue(name: string): string {
  if (typeof name !== 'string' || name.trim() === '' || Buffer.byteLength(name) > 255 || name.startsWith('amq.')) {
    throw new TaskqError(
      'INVALID_OPTION',
      `deadLetterQueue must be a queue name of 1–255 bytes not starting with 'amq.', found ${JSON.stringify(name)}.`,
    );
  }
  return name;
}

function checkResultExpires(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new TaskqError('INVALID_OPTION', `resultExpires must be a whole number of seconds ≥ 1, found ${String(seconds)}.`);
  }
  return seconds;
}

function resolveLogLevel(option: LogLevel | undefined): LogLevel {
  const fromEnv = process.env['TASKQ_LOG_LEVEL'];
  if (option) return option;
  if (fromEnv && isLogLevel(fromEnv)) return fromEnv;
  return 'info';
}

/**
 * Create a taskq app. With no options it talks to `TASKQ_BROKER_URL` (default
 * `amqp://guest:guest@127.0.0.1:5672`) and loads routing files from `TASKQ_CONFIG` when set.
 */
export function createApp(options: AppOptions = {}): TaskqApp {
  return new TaskqApp(options);
}

/** A broker setting (one URL, a comma-separated list or an array), checked, as one comma-separated text. */
function brokerUrlSetting(value: string | readonly string[]): string {
  return validateBrokerUrls(value)
    .map((node) => node.url)
    .join(',');
}
