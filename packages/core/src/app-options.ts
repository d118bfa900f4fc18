import type { Logger, LogLevel } from './logger';
import type { RoutingDefaults } from './routing';
import type { Serializer } from './serialization';

/** Options for {@link createApp}. Every field is optional. */
export interface AppOptions {
  /**
   * The RabbitMQ URL, `amqp://user:password@host:5672/vhost` (or `amqps://`).
   * @defaultValue `TASKQ_BROKER_URL`, else `amqp://guest:guest@127.0.0.1:5672`
   */
  brokerUrl?: string;
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
  /** Where log lines go. @defaultValue a console logger on stderr at `logLevel` */
  logger?: Logger;
  /** @defaultValue `TASKQ_LOG_LEVEL`, else `'info'` */
  logLevel?: LogLevel;
}

/** Options the CLI (or a test) may override after the tasks module created the app. */
export interface AppOverrides {
  brokerUrl?: string;
  resultBackend?: string;
  config?: string;
  logger?: Logger;
}

/** The default accept list: every built-in serializer, never pickle. */
export const DEFAULT_ACCEPT: readonly string[] = ['json', 'msgpack', 'yaml'];
