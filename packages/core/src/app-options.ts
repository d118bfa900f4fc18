import type { Logger, LogLevel } from './logger';
import type { RoutingDefaults } from './routing';
import type { Serializer } from './serialization';
import type { SigningOptions } from './signing';
import type { ReconnectOptions, TlsOptions } from './transport';

/** Options for {@link createApp}. Every field is optional. */
export interface AppOptions {
  /**
   * The RabbitMQ URL, `amqp://user:password@host:5672/vhost` (or `amqps://`) — or a cluster's
   * nodes, as an array or one text with the URLs separated by commas: taskq connects to the first
   * that answers and, when that connection drops, to the next one round the list.
   * @defaultValue `TASKQ_BROKER_URL` (comma-separated for several), else `amqp://guest:guest@127.0.0.1:5672`
   */
  brokerUrl?: string | readonly string[];
  /**
   * A routing config: a directory with one YAML/JSON file per queue (plus `_defaults.yaml`), or one file.
   * @defaultValue `TASKQ_CONFIG`, else no routing files (everything goes to the default queue)
   */
  config?: string;
  /** App-wide defaults; they override the routing config's `_defaults` file. */
  defaults?: Partial<RoutingDefaults>;
  /**
   * Content types (or serializer names) a worker of this app accepts.
   * @defaultValue `['json', 'msgpack', 'yaml']` — never pickle
   */
  accept?: string[];
  /** Extra serializers to register, usable by name in `serializer` options and the accept list. */
  serializers?: Serializer[];
  /**
   * Where results go: `'rpc://'` (Celery's rpc backend: a reply queue per client),
   * `'redis://host:6379/0'` (Celery-compatible Redis keys), or `'disabled'`. Producers and workers
   * of one system must use the same backend, as in Celery.
   * @defaultValue `TASKQ_RESULT_BACKEND`, else `'rpc://'`
   */
  resultBackend?: string;
  /**
   * How long the Redis backend keeps a result, in seconds (Celery's `result_expires`).
   * @defaultValue 86400 (one day)
   */
  resultExpires?: number;
  /** TLS for `amqps://` brokers: CA, client certificate and key (PEM text, Buffers or file paths). Verification is on by default. */
  tls?: TlsOptions;
  /** How connections recover after a broker restart or a dropped connection. @defaultValue retry forever, 200 ms doubling to 5 s */
  reconnect?: ReconnectOptions;
  /**
   * How long a send may wait for the broker, including a reconnect, before it rejects. A send never
   * resolves without the broker's confirm. @defaultValue 30000 ms
   */
  sendTimeoutMs?: number;
  /**
   * IANA time zone of periodic-task schedules made without one (`cron('0 3 * * *')` then means
   * 03:00 in this zone). Celery's `timezone` setting. @defaultValue 'UTC'
   */
  timezone?: string;
  /**
   * The largest task body, in bytes, a producer sends and a worker accepts (a bigger delivery is
   * dead-lettered before it is decoded, reason `too-large`). Big payloads belong in storage, with
   * a reference in the task. @defaultValue 16 MiB (RabbitMQ 4's own default `max_message_size`)
   */
  maxMessageBytes?: number;
  /**
   * Sign sent tasks with HMAC-SHA256 (header `x-taskq-signature`), and make workers refuse
   * unsigned (when `required`) or wrongly signed messages: they go to the dead-letter queue
   * unrun. `false` turns signing off even when `TASKQ_SIGNING_KEY` is set.
   * @defaultValue `TASKQ_SIGNING_KEY` (required), else no signing
   */
  signing?: SigningOptions | false;
  /**
   * The dead-letter queue for queues whose routing file names no `deadLetter` target: a worker
   * puts there, with `x-taskq-*` headers saying why, what it cannot or will not run.
   * @defaultValue `'taskq.dead'`
   */
  deadLetterQueue?: string;
  /** Where log lines go. @defaultValue a console logger on stderr at `logLevel` */
  logger?: Logger;
  /** @defaultValue `TASKQ_LOG_LEVEL`, else `'info'` */
  logLevel?: LogLevel;
}

/** Options the CLI (or a test) may override after the tasks module created the app. */
export interface AppOverrides {
  /** One URL or several (an array, or separated by commas). */
  brokerUrl?: string | readonly string[];
  tls?: TlsOptions;
  resultBackend?: string;
  config?: string;
  logger?: Logger;
}

/** The default accept list: every built-in serializer, never pickle. */
export const DEFAULT_ACCEPT: readonly string[] = ['json', 'msgpack', 'yaml'];

/** The default `maxMessageBytes`: 16 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** RabbitMQ refuses messages over 512 MiB whatever its configuration. */
export const MAX_MESSAGE_BYTES_LIMIT = 512 * 1024 * 1024;
