import type { Redis } from 'ioredis';
import { ClosedError, TaskqError } from '../errors';
import type { Logger } from '../logger';
import type { ResultMeta, TaskRequest } from '../protocol';
import type { Serializer } from '../serialization';
import { maskBrokerUrl, maskSecrets } from '../transport';
import { closeRedisClient, openRedisClient, parseRedisUrl, resultKey, unreachableError } from './redis-connection';
import type { ResultStore } from './result-backend';

const ROLE = 'result store';

/**
 * Celery's `_store_result` + `RedisBackend._set` in one atomic step. Celery reads the stored
 * document and returns without writing (or publishing) when its status is SUCCESS, then writes
 * with SETEX + PUBLISH; it does the read and the write in two round trips, so two workers can
 * race. Here Redis runs both in one script.
 * KEYS[1]: celery-task-meta-<id>. ARGV[1]: the encoded document. ARGV[2]: expiry in seconds, 0 for none.
 * Returns 1 when written, 0 when a stored SUCCESS was kept.
 */
const STORE_RESULT_LUA = `
local current = redis.call('GET', KEYS[1])
if current then
  local ok, meta = pcall(cjson.decode, current)
  if not ok then ok, meta = pcall(cmsgpack.unpack, current) end
  if ok and type(meta) == 'table' then
    if meta['status'] == 'SUCCESS' then return 0 end
  elseif string.find('\\n' .. current, '\\nstatus: SUCCESS\\n', 1, true) then
    return 0 -- YAML
  end
end
if tonumber(ARGV[2]) > 0 then
  redis.call('SETEX', KEYS[1], ARGV[2], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('PUBLISH', KEYS[1], ARGV[1])
return 1
`;

interface StoreCommands {
  taskqStoreResult(key: string, payload: Buffer, expiresSeconds: number): Promise<number>;
}

/**
 * Celery's redis result backend, worker side: each result document is written to
 * `celery-task-meta-<task id>` with an expiry (Celery's `result_expires`) and PUBLISHed on the
 * channel of the same name, where waiting clients (taskq or Celery) pick it up. A stored SUCCESS
 * is never overwritten, as in Celery. One connection per store, opened on the first write.
 */
export class RedisResultStore implements ResultStore {
  private client: Promise<Redis & StoreCommands> | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly serializer: Serializer,
    /** Seconds a result is kept; 0 keeps it until deleted (Celery's `result_expires=None`). */
    private readonly expiresSeconds: number,
    private readonly logger: Logger,
  ) {
    parseRedisUrl(url); // fail at creation on a malformed URL, not at the first result
    if (!Number.isInteger(expiresSeconds) || expiresSeconds < 0) {
      throw new TaskqError(
        'INVALID_OPTION',
        `The Redis result expiry must be a whole number of seconds ≥ 0, found ${String(expiresSeconds)}.`,
      );
    }
  }

  /** Every result is stored unless the task was sent with `ignoreResult` (no reply queue needed). */
  wantsResult(request: TaskRequest): boolean {
    return !request.ignoreResult;
  }

  async store(request: TaskRequest, meta: ResultMeta): Promise<void> {
    const payload = this.serializer.encode(meta);
    const client = await this.connect();
    let written: number;
    try {
      written = await client.taskqStoreResult(resultKey(request.id), payload, this.expiresSeconds);
    } catch (err) {
      throw this.storeError(request.id, err);
    }
    if (written === 0) {
      this.logger.debug(`Task ${request.id} already has a SUCCESS result in Redis; kept it instead of ${meta.status}.`);
    }
  }

  /** Connect (once) and PING: rejects with `RESULT_BACKEND_UNREACHABLE` while Redis cannot be reached. */
  async check(): Promise<void> {
    const client = await this.connect();
    try {
      await client.ping();
    } catch (err) {
      throw unreachableError(this.url, ROLE, err);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = await this.client?.catch(() => undefined);
    this.client = undefined;
    await closeRedisClient(client);
  }

  private connect(): Promise<Redis & StoreCommands> {
    if (this.closed) return Promise.reject(new ClosedError('The Redis result store'));
    if (!this.client) {
      const opening = openRedisClient(this.url, { role: ROLE, logger: this.logger }).then(async (redis) => {
        redis.defineCommand('taskqStoreResult', { numberOfKeys: 1, lua: STORE_RESULT_LUA });
        if (this.closed) {
          await closeRedisClient(redis);
          throw new ClosedError('The Redis result store');
        }
        return redis as Redis & StoreCommands;
      });
      // A failed first connection is retried by the next store() rather than cached.
      opening.catch(() => {
        if (this.client === opening) this.client = undefined;
      });
      this.client = opening;
    }
    return this.client;
  }

  private storeError(taskId: string, err: unknown): TaskqError {
    // Errors Redis replied with (out of memory, a read-only replica…) versus a lost connection.
    if (err instanceof Error && err.name === 'ReplyError') {
      return new TaskqError(
        'RESULT_STORE_FAILED',
        `Redis at ${maskBrokerUrl(this.url)} refused the result of task ${taskId}: ${maskSecrets(err.message, this.url)}. ` +
          `Check the Redis server's logs and settings (maxmemory, replica-read-only).`,
      );
    }
    return unreachableError(this.url, ROLE, err);
  }
}

/**
 * The worker side of Celery's redis result backend at `url` (`redis://[:password@]host:6379/0`
 * or `rediss://…`). Results are encoded with `serializer` (Celery clients expect JSON unless
 * their `result_serializer` says otherwise) and kept for `expiresSeconds`.
 */
export function createRedisResultStore(url: string, serializer: Serializer, expiresSeconds: number, logger: Logger): ResultStore {
  return new RedisResultStore(url, serializer, expiresSeconds, logger);
}
