import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import { BrokerError, ResultBackendUnavailableError, TaskqError } from '../errors';
import { unrefHandle } from '../event-loop-hold';
import type { Logger } from '../logger';
import { maskBrokerUrl, maskSecrets } from '../transport';

/** Celery's key (and PUBLISH channel) for a task's result document. */
export const RESULT_KEY_PREFIX = 'celery-task-meta-';

/** The Redis key, and the channel its updates are published on, for one task's result. */
export function resultKey(taskId: string): string {
  return RESULT_KEY_PREFIX + taskId;
}

/** How long one connection attempt may take before it counts as failed. */
const CONNECT_TIMEOUT_MS = 5_000;
/** Reconnection attempts a command waits through (while Redis is away) before it fails. */
const MAX_RETRIES_PER_REQUEST = 3;

const CHECK_HINT =
  'Check that Redis is running and reachable from here, and the host, port, password and db in ' +
  'resultBackend (createApp({ resultBackend }) or TASKQ_RESULT_BACKEND); for rediss:// also the TLS settings.';

// Celery's `ssl_cert_reqs` values (redis backend URL query), as names or ssl module constants.
const CERT_REQS: Record<string, 'required' | 'optional' | 'none'> = {
  CERT_REQUIRED: 'required',
  required: 'required',
  CERT_OPTIONAL: 'optional',
  optional: 'optional',
  CERT_NONE: 'none',
  none: 'none',
};
const SSL_PARAMS = ['ssl_cert_reqs', 'ssl_ca_certs', 'ssl_certfile', 'ssl_keyfile'];

/**
 * Turn a Celery redis backend URL into ioredis options: `redis://[[user]:password@]host[:port][/db]`
 * or `rediss://…` (TLS) with Celery's optional `ssl_cert_reqs`, `ssl_ca_certs`, `ssl_certfile`,
 * `ssl_keyfile` query parameters. Parsed here rather than handed to ioredis, which would copy
 * any query parameter into its options.
 * @throws {@link TaskqError} `RESULT_BACKEND_INVALID`, naming the masked URL and the problem.
 */
export function parseRedisUrl(url: string): RedisOptions {
  const invalid = (problem: string): TaskqError =>
    new TaskqError(
      'RESULT_BACKEND_INVALID',
      `Invalid Redis result backend URL '${maskBrokerUrl(url)}': ${problem}. ` +
        `Expected redis://[:password@]host:6379/0 or rediss://… for TLS.`,
    );
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('not a URL');
  }
  const scheme = parsed.protocol.toLowerCase();
  if (scheme !== 'redis:' && scheme !== 'rediss:') throw invalid(`unsupported scheme '${parsed.protocol}'`);
  const path = parsed.pathname.replace(/^\/+|\/+$/g, '');
  if (path !== '' && !/^\d+$/.test(path)) throw invalid(`the database must be a number (found '/${path}')`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const options: RedisOptions = {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || 'localhost',
    port,
    db: path === '' ? 0 : Number(path),
  };
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);

  const query = parsed.searchParams;
  if (scheme === 'redis:') {
    const ssl = SSL_PARAMS.filter((name) => query.has(name));
    if (ssl.length) throw invalid(`${ssl.join(', ')} need the rediss:// scheme (TLS), not redis://`);
    return options;
  }
  const reqsText = query.get('ssl_cert_reqs') ?? 'CERT_REQUIRED';
  const reqs = CERT_REQS[reqsText];
  if (!reqs) throw invalid(`ssl_cert_reqs must be CERT_REQUIRED, CERT_OPTIONAL or CERT_NONE (found '${reqsText}')`);
  const tls: ConnectionOptions = { servername: options.host, rejectUnauthorized: reqs === 'required' };
  const file = (name: string): Buffer | undefined => {
    const file = query.get(name);
    if (!file) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw invalid(`cannot read ${name} '${file}' (${(err as Error).message})`);
    }
  };
  const ca = file('ssl_ca_certs');
  const cert = file('ssl_certfile');
  const key = file('ssl_keyfile');
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  options.tls = tls;
  return options;
}

/** Options for {@link openRedisClient}. */
export interface RedisClientRole {
  /** What the connection is for, in log lines: e.g. `result store`. */
  role: string;
  logger: Logger;
  /**
   * How long closing a client that is not connected (e.g. reconnecting during an outage) lets its
   * socket linger: ioredis starts this timer even when the socket is already gone, and it keeps
   * the process alive until it fires.
   * @defaultValue 2000 (ioredis's default)
   */
  disconnectTimeoutMs?: number;
  /**
   * False for a producer's clients: their sockets do not keep the process alive (the waits that
   * need them are held by the app's EventLoopHold instead).
   * @defaultValue true
   */
  holdsProcess?: boolean;
}

/**
 * A connected ioredis client for the result backend at `url`, or a `RESULT_BACKEND_UNREACHABLE`
 * {@link BrokerError} (with the URL's password masked) when the first connection fails. Once
 * connected, the client reconnects on its own when the connection drops, logging the outage
 * once; commands issued meanwhile fail after a few reconnection attempts.
 */
export async function openRedisClient(
  url: string,
  { role, logger, disconnectTimeoutMs, holdsProcess = true }: RedisClientRole,
): Promise<Redis> {
  const masked = maskBrokerUrl(url);
  const client = new Redis({
    ...parseRedisUrl(url),
    // Shows up in CLIENT LIST, so an operator can tell taskq's connections apart.
    connectionName: `taskq-${role.replace(/\s+/g, '-')}`,
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: MAX_RETRIES_PER_REQUEST,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    ...(disconnectTimeoutMs === undefined ? {} : { disconnectTimeout: disconnectTimeoutMs }),
  });
  // ioredis reports every failed attempt as an 'error' event (and prints it when nobody listens).
  // Before the first connection the error is thrown to the caller; after it, an outage is logged
  // once, and its end once.
  let lastError: Error | undefined;
  let wasReady = false;
  let outage = false;
  client.on('error', (err: Error) => {
    lastError = err;
  });
  // 'reconnecting' comes after a drop that ioredis will retry (not after quit or disconnect).
  client.on('reconnecting', () => {
    if (!wasReady || outage) return;
    outage = true;
    const reason = lastError ? ` (${maskSecrets(lastError.message, url)})` : '';
    logger.warn(`Lost the Redis ${role} connection to ${masked}${reason}; reconnecting.`);
  });
  // Each (re)connection has a new socket: unref every one.
  if (!holdsProcess) client.on('connect', () => unrefHandle(client.stream));
  client.on('ready', () => {
    if (outage) logger.info(`Reconnected the Redis ${role} connection to ${masked}.`);
    wasReady = true;
    outage = false;
    lastError = undefined;
  });
  try {
    await client.connect();
  } catch (err) {
    client.disconnect(); // stop ioredis from retrying in the background
    throw unreachableError(url, role, lastError ?? err);
  }
  return client;
}

/**
 * The `RESULT_BACKEND_UNREACHABLE` error for `url`, with any password masked. The library error is
 * not kept as `cause`: ioredis reply errors carry the failed command's arguments (AUTH's password).
 */
export function unreachableError(url: string, role: string, cause: unknown): BrokerError {
  const reason = maskSecrets(cause instanceof Error ? cause.message : String(cause), url);
  return new BrokerError(
    'RESULT_BACKEND_UNREACHABLE',
    `Cannot reach the Redis result backend at ${maskBrokerUrl(url)} (${role}): ${reason}. ${CHECK_HINT}`,
  );
}

/**
 * Whether a group of connected clients (one result backend's) can reach Redis, and whether they
 * could not at some time since a given moment: lets a `get()` that timed out tell "Redis was away"
 * from "no result yet". Logs nothing ({@link openRedisClient} logs each client's outage once).
 */
export class RedisOutageWatch {
  private readonly down = new Set<Redis>();
  /** When a client last lost or regained its connection, or a command last failed for want of one. */
  private troubleAt = -Infinity;
  private error: string | undefined;

  constructor(private readonly url: string) {}

  /** Follow `client`'s connection from now on. */
  watch(client: Redis): void {
    if (client.status !== 'ready') this.down.add(client);
    client.on('error', (err: Error) => this.noteFailure(err));
    client.on('close', () => {
      this.down.add(client);
      this.troubleAt = Date.now();
    });
    client.on('ready', () => {
      if (this.down.delete(client)) this.troubleAt = Date.now();
    });
  }

  /** Record a command that failed because Redis could not be reached (or could not answer yet). */
  noteFailure(err: unknown): void {
    this.error = maskSecrets(err instanceof Error ? err.message : String(err), this.url);
    this.troubleAt = Date.now();
  }

  /** True while some watched client has no connection. */
  get isDown(): boolean {
    return this.down.size > 0;
  }

  /** True when Redis is unreachable now, or was at some time since `since` (epoch ms). */
  troubledSince(since: number): boolean {
    return this.isDown || this.troubleAt >= since;
  }

  /** The last connection or command error, with secrets masked. */
  get lastError(): string | undefined {
    return this.error;
  }
}

/**
 * The `RESULT_BACKEND_UNAVAILABLE` error for a `get()` of `taskId` that timed out after
 * `timeoutMs` while the Redis result backend at `url` was (or had been) unreachable.
 */
export function outageTimeoutError(
  url: string,
  taskId: string,
  timeoutMs: number,
  outage: RedisOutageWatch,
): ResultBackendUnavailableError {
  return new ResultBackendUnavailableError(
    taskId,
    timeoutMs,
    `the Redis result backend at ${maskBrokerUrl(url)}`,
    outage.isDown,
    outage.lastError,
    CHECK_HINT,
  );
}

/** Close a client: QUIT when connected (lets pending replies arrive), else just drop the socket. */
export async function closeRedisClient(client: Redis | undefined): Promise<void> {
  if (!client) return;
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
}
