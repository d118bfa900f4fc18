import type { Redis } from 'ioredis';
import { ClosedError, TaskqError } from '../errors';
import type { Logger } from '../logger';
import { parseResultMeta, READY_STATES, type ResultMeta } from '../protocol';
import type { AcceptList, Serializer } from '../serialization';
import { closeRedisClient, openRedisClient, parseRedisUrl, RESULT_KEY_PREFIX, resultKey } from './redis-connection';
import type { ResultBackend } from './result-backend';

/** Celery stores no content type next to a result: its redis backend reads and writes JSON. */
const STORED_CONTENT_TYPE = 'application/json';

interface Pending {
  meta?: ResultMeta;
  waiters?: Array<{ resolve(meta: ResultMeta): void; reject(err: unknown): void }>;
  /** True while subscribed to the task's channel (from the first waitFor until a ready state). */
  listening?: boolean;
}

interface Clients {
  commands: Redis;
  subscriber: Redis;
}

/**
 * Celery's redis result backend, client side. Workers SET `celery-task-meta-<task id>` and
 * PUBLISH the same document on the channel of that name; `waitFor` subscribes to the channel
 * first and then reads the key, so a result stored before, during or after the wait is seen.
 * Like the rpc backend, only tasks this client tracks are followed, and an entry is dropped when
 * its AsyncResult is garbage-collected, so unread results cannot accumulate.
 */
export class RedisResultBackend implements ResultBackend {
  /** Results come from Redis, not by message: tasks are sent without `reply_to`. */
  readonly replyTo = undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly forget = new FinalizationRegistry<string>((taskId) => this.drop(taskId));
  private started: Promise<Clients> | undefined;
  private clients: Clients | undefined;
  private closed = false;
  private readonly decoder: () => Serializer;

  constructor(
    private readonly url: string,
    /** Stored results are decoded as JSON, which must be in this accept list. */
    accept: AcceptList,
    private readonly logger: Logger,
  ) {
    parseRedisUrl(url); // fail at creation on a malformed URL, not at the first send
    this.decoder = () => accept.check(STORED_CONTENT_TYPE);
  }

  /** Connect the command and subscriber clients (idempotent; awaited before the first send). */
  start(): Promise<unknown> {
    return this.ensureStarted();
  }

  private ensureStarted(): Promise<Clients> {
    if (this.closed) return Promise.reject(new ClosedError('The result backend'));
    if (!this.started) {
      const starting = this.connect();
      starting.catch(() => {
        if (this.started === starting) this.started = undefined;
      });
      this.started = starting;
    }
    return this.started;
  }

  /** True once both Redis connections are open. */
  get isStarted(): boolean {
    return this.clients !== undefined;
  }

  /** Expect a result for `taskId`; `owner` is the AsyncResult whose collection ends the wait. */
  track(taskId: string, owner: object): void {
    if (!this.pending.has(taskId)) this.pending.set(taskId, {});
    this.forget.register(owner, taskId);
  }

  /** Stop expecting a result (the send failed). */
  untrack(taskId: string): void {
    this.drop(taskId);
  }

  peek(taskId: string): ResultMeta | undefined {
    return this.pending.get(taskId)?.meta;
  }

  waitFor(taskId: string): Promise<ResultMeta> {
    const entry = this.pending.get(taskId);
    if (!entry) return Promise.reject(new ClosedError(`Result tracking for task ${taskId}`));
    if (entry.meta && READY_STATES.has(entry.meta.status)) return Promise.resolve(entry.meta);
    const waiting = new Promise<ResultMeta>((resolve, reject) => {
      (entry.waiters ??= []).push({ resolve, reject });
    });
    if (!entry.listening) {
      entry.listening = true;
      void this.listen(taskId, entry);
    }
    return waiting;
  }

  async close(): Promise<void> {
    this.closed = true;
    const clients = await this.started?.catch(() => undefined);
    this.started = undefined;
    this.clients = undefined;
    for (const entry of this.pending.values()) {
      for (const waiter of entry.waiters ?? []) waiter.reject(new ClosedError('The app'));
    }
    this.pending.clear();
    await Promise.all([closeRedisClient(clients?.subscriber), closeRedisClient(clients?.commands)]);
  }

  private async connect(): Promise<Clients> {
    try {
      this.decoder();
    } catch (err) {
      throw new TaskqError(
        'RESULT_BACKEND_INVALID',
        `The Redis result backend reads results as JSON (as Celery stores them), but the accept list ` +
          `refuses application/json. Add 'json' to the app's accept option.`,
        { cause: err },
      );
    }
    const opened = await Promise.allSettled([
      openRedisClient(this.url, { role: 'result commands', logger: this.logger }),
      openRedisClient(this.url, { role: 'result subscriber', logger: this.logger }),
    ]);
    const [commands, subscriber] = opened.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : undefined));
    const failure = opened.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure || this.closed || !commands || !subscriber) {
      await Promise.all([closeRedisClient(commands), closeRedisClient(subscriber)]);
      throw failure ? failure.reason : new ClosedError('The result backend');
    }
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => this.onMessage(channel.toString(), message));
    // ioredis re-subscribes after a reconnect; results published meanwhile were missed, so read
    // the keys again (Celery's ResultConsumer._reconnect_pubsub does the same).
    subscriber.on('ready', () => {
      for (const [taskId, entry] of this.pending) if (entry.listening) void this.read(taskId, commands);
    });
    this.clients = { commands, subscriber };
    return this.clients;
  }

  /** Subscribe to the task's channel, then read the key: nothing published in between is missed. */
  private async listen(taskId: string, entry: Pending): Promise<void> {
    try {
      const { commands, subscriber } = await this.ensureStarted();
      if (this.pending.get(taskId) !== entry || !entry.listening) return;
      await subscriber.subscribe(resultKey(taskId));
      await this.read(taskId, commands, true);
    } catch (err) {
      entry.listening = false;
      const waiters = entry.waiters;
      entry.waiters = undefined;
      for (const waiter of waiters ?? []) waiter.reject(err);
      this.unsubscribe(taskId);
    }
  }

  private async read(taskId: string, commands: Redis, rethrow = false): Promise<void> {
    try {
      const stored = await commands.getBuffer(resultKey(taskId));
      if (stored) this.onResult(taskId, stored);
    } catch (err) {
      if (rethrow) throw err;
      this.logger.warn(`Could not read the result of task ${taskId} from Redis: ${(err as Error).message}`);
    }
  }

  private onMessage(channel: string, message: Buffer): void {
    if (!channel.startsWith(RESULT_KEY_PREFIX)) return;
    const taskId = channel.slice(RESULT_KEY_PREFIX.length);
    if (!this.pending.get(taskId)?.listening) {
      this.unsubscribe(taskId); // a result for a task this client no longer waits for
      return;
    }
    this.onResult(taskId, message);
  }

  private onResult(taskId: string, payload: Buffer): void {
    const entry = this.pending.get(taskId);
    if (!entry) return;
    let meta: ResultMeta;
    try {
      meta = parseResultMeta(this.decoder().decode(payload));
    } catch (err) {
      this.logger.error(`Dropping an unreadable result for task ${taskId}: ${(err as Error).message}`);
      return;
    }
    const ready = READY_STATES.has(meta.status);
    // The GET and the PUBLISH race on two connections: never let an older progress state
    // replace a final one.
    if (!ready && entry.meta && READY_STATES.has(entry.meta.status)) return;
    entry.meta = meta;
    if (!ready) return;
    if (entry.listening) {
      entry.listening = false;
      this.unsubscribe(taskId);
    }
    const waiters = entry.waiters;
    entry.waiters = undefined;
    for (const waiter of waiters ?? []) waiter.resolve(meta);
  }

  private drop(taskId: string): void {
    const entry = this.pending.get(taskId);
    if (!entry) return;
    this.pending.delete(taskId);
    if (entry.listening) this.unsubscribe(taskId);
    for (const waiter of entry.waiters ?? []) waiter.reject(new ClosedError(`Result tracking for task ${taskId}`));
  }

  private unsubscribe(taskId: string): void {
    this.clients?.subscriber.unsubscribe(resultKey(taskId)).catch((err: Error) => {
      this.logger.debug(`Could not unsubscribe from the result channel of task ${taskId}: ${err.message}`);
    });
  }
}

/**
 * The caller side of Celery's redis result backend at `url` (`redis://[:password@]host:6379/0`
 * or `rediss://…`): `AsyncResult.get()` waits on Redis pub/sub. Stored results are read as JSON,
 * through `accept`.
 */
export function createRedisResultBackend(url: string, accept: AcceptList, logger: Logger): ResultBackend {
  return new RedisResultBackend(url, accept, logger);
}
