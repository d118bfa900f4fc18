import type { Redis } from 'ioredis';
import { ClosedError, TaskqError } from '../errors';
import type { Logger } from '../logger';
import { parseResultMeta, READY_STATES, type ResultMeta } from '../protocol';
import type { AcceptList, Serializer } from '../serialization';
import {
  closeRedisClient,
  openRedisClient,
  outageTimeoutError,
  parseRedisUrl,
  RedisOutageWatch,
  RESULT_KEY_PREFIX,
  resultKey,
} from './redis-connection';
import type { ResultBackend } from './result-backend';

/** Celery stores no content type next to a result: its redis backend reads and writes JSON. */
const STORED_CONTENT_TYPE = 'application/json';
/** Pause between attempts to subscribe and read while Redis is away: doubling from the first to the last. */
const RETRY_FIRST_MS = 200;
const RETRY_MAX_MS = 2_000;
/** Redis replies that mean "not now" rather than "never" (loading its data set, busy script, failover). */
const TRANSIENT_REPLY = /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN|CLUSTERDOWN)\b/;
/** How long a closed client's socket may linger (see RedisClientRole.disconnectTimeoutMs). */
const CLOSE_LINGER_MS = 100;
/** The commands a wait sends; a reply error to anything else came from (re)connecting. */
const OWN_COMMANDS = new Set(['subscribe', 'get']);

interface Pending {
  meta?: ResultMeta;
  waiters?: Array<{ resolve(meta: ResultMeta): void; reject(err: unknown): void }>;
  /** True while the result is awaited: subscribed to the task's channel (from the first waitFor until a ready state). */
  listening?: boolean;
  /** True while a subscribe-and-read round runs for the task ({@link RedisResultBackend.follow}). */
  following?: boolean;
  /** The subscriber reconnected during that round: run another one. */
  followAgain?: boolean;
}

interface Clients {
  commands: Redis;
  subscriber: Redis;
  outage: RedisOutageWatch;
}

/**
 * Celery's redis result backend, client side. Workers SET `celery-task-meta-<task id>` and
 * PUBLISH the same document on the channel of that name; `waitFor` subscribes to the channel
 * first and then reads the key, so a result stored before, during or after the wait is seen.
 * Like the rpc backend, only tasks this client tracks are followed, and an entry is dropped when
 * its AsyncResult is garbage-collected, so unread results cannot accumulate.
 *
 * The first connection must succeed (`start()` fails with `RESULT_BACKEND_UNREACHABLE`); after
 * it, waits outlast Redis outages, like Celery's: the clients reconnect, and each awaited task is
 * subscribed and read again, with backoff, until that succeeds. A `get({ timeout })` that runs out
 * during (or after) an outage fails with `RESULT_BACKEND_UNAVAILABLE` instead of `RESULT_TIMEOUT`.
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
  /** Ends the backoff pauses early: Redis is back, or the backend closed. */
  private readonly wakers = new Set<() => void>();

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
      entry.waiters ??= [];
      entry.waiters.push({ resolve, reject });
    });
    if (!entry.listening) {
      entry.listening = true;
      void this.listen(taskId, entry);
    }
    return waiting;
  }

  /** `RESULT_BACKEND_UNAVAILABLE` for a wait that ran out while Redis was, or had been, unreachable. */
  timeoutError(taskId: string, timeoutMs: number): Error | undefined {
    const outage = this.clients?.outage;
    if (!outage?.troubledSince(Date.now() - timeoutMs)) return undefined;
    return outageTimeoutError(this.url, taskId, timeoutMs, outage);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeUp();
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
    // close() during an outage should not keep the process alive for ioredis's socket timer.
    // Its sockets do not keep the process alive: the app holds it while a get() waits.
    const options = { logger: this.logger, disconnectTimeoutMs: CLOSE_LINGER_MS, holdsProcess: false };
    const opened = await Promise.allSettled([
      openRedisClient(this.url, { role: 'result commands', ...options }),
      openRedisClient(this.url, { role: 'result subscriber', ...options }),
    ]);
    const [commands, subscriber] = opened.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : undefined));
    const failure = opened.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure || this.closed || !commands || !subscriber) {
      await Promise.all([closeRedisClient(commands), closeRedisClient(subscriber)]);
      throw failure ? failure.reason : new ClosedError('The result backend');
    }
    const outage = new RedisOutageWatch(this.url);
    outage.watch(commands);
    outage.watch(subscriber);
    const clients: Clients = { commands, subscriber, outage };
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => this.onMessage(channel.toString(), message));
    // After a reconnect ioredis re-subscribes to the channels it had, but results published
    // meanwhile were missed (and a SUBSCRIBE that failed during the outage is not redone): follow
    // every awaited task again, which subscribes and reads its key (Celery's
    // ResultConsumer._reconnect_pubsub does the same). 'ready' is emitted after ioredis re-sent its
    // SUBSCRIBEs, so our SUBSCRIBE's reply means the channel is live before the read.
    subscriber.on('ready', () => {
      this.wakeUp();
      for (const [taskId, entry] of this.pending) if (entry.listening) void this.follow(taskId, entry, clients);
    });
    commands.on('ready', () => this.wakeUp());
    this.clients = clients;
    return clients;
  }

  /** Connect if needed, then follow the task. Only a failed first connection fails the wait. */
  private async listen(taskId: string, entry: Pending): Promise<void> {
    let clients: Clients;
    try {
      clients = await this.ensureStarted();
    } catch (err) {
      this.stopListening(taskId, entry, err);
      return;
    }
    await this.follow(taskId, entry, clients);
  }

  /**
   * Subscribe to the task's channel, then read the key: nothing published in between is missed.
   * While Redis is away, try again with backoff until that succeeds, the result arrives, the
   * entry is dropped or the backend closes; only an error Redis itself answered with (and that
   * waiting cannot cure) fails the wait.
   */
  private async follow(taskId: string, entry: Pending, { commands, subscriber, outage }: Clients): Promise<void> {
    if (entry.following) {
      entry.followAgain = true;
      return;
    }
    entry.following = true;
    let pause = RETRY_FIRST_MS;
    try {
      while (this.isListening(taskId, entry)) {
        entry.followAgain = false;
        try {
          await subscriber.subscribe(resultKey(taskId));
          if (!this.isListening(taskId, entry)) return;
          const stored = await commands.getBuffer(resultKey(taskId));
          if (stored) this.onResult(taskId, stored);
          if (!entry.followAgain) return;
        } catch (err) {
          if (!this.isListening(taskId, entry)) return;
          if (!isTransient(err)) {
            this.stopListening(taskId, entry, err);
            return;
          }
          outage.noteFailure(err);
          await this.sleep(pause);
          pause = Math.min(pause * 2, RETRY_MAX_MS);
        }
      }
    } finally {
      entry.following = false;
    }
  }

  private isListening(taskId: string, entry: Pending): boolean {
    return !this.closed && entry.listening === true && this.pending.get(taskId) === entry;
  }

  /** Fail the task's waiters with `err` and stop following it. */
  private stopListening(taskId: string, entry: Pending, err: unknown): void {
    entry.listening = false;
    const waiters = entry.waiters;
    entry.waiters = undefined;
    for (const waiter of waiters ?? []) waiter.reject(err);
    this.unsubscribe(taskId);
  }

  /** Wait `ms`, or less when {@link wakeUp} is called; never keeps the process alive. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.wakers.add(done);
    });
  }

  /** End every backoff pause now (a client reconnected, or the backend closed). */
  private wakeUp(): void {
    for (const wake of [...this.wakers]) wake();
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
 * True for a failure that waiting can cure: no connection (ioredis gave up on a command after a
 * few reconnection attempts, the socket failed, or reconnecting failed — ioredis fails queued
 * commands with the AUTH or SELECT reply then) or a "not now" reply. Other replies to the
 * command itself (e.g. WRONGTYPE, NOPERM) would come back the same on every attempt.
 */
function isTransient(err: unknown): boolean {
  if (!(err instanceof Error) || err.name !== 'ReplyError') return true;
  const command = (err as { command?: { name?: unknown } }).command?.name;
  const ownReply = typeof command === 'string' && OWN_COMMANDS.has(command.toLowerCase());
  return !ownReply || TRANSIENT_REPLY.test(err.message);
}

/**
 * The caller side of Celery's redis result backend at `url` (`redis://[:password@]host:6379/0`
 * or `rediss://…`): `AsyncResult.get()` waits on Redis pub/sub. Stored results are read as JSON,
 * through `accept`.
 */
export function createRedisResultBackend(url: string, accept: AcceptList, logger: Logger): ResultBackend {
  return new RedisResultBackend(url, accept, logger);
}
