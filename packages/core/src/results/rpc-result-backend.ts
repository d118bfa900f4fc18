import type { Channel, ConsumeMessage } from 'amqplib';
import type { ChannelSource } from '../transport';
import { randomUUID } from 'node:crypto';
import { ClosedError } from '../errors';
import type { Logger } from '../logger';
import { parseResultMeta, READY_STATES, type ResultMeta } from '../protocol';
import type { AcceptList } from '../serialization';
import { replyQueueOptions } from '../transport';
import type { QueueType } from '../routing';
import type { ResultBackend } from './result-backend';

/**
 * How long a reply queue survives without a consumer. Unlike Celery's auto-delete queue it outlives
 * a dropped connection, so results published while the client reconnects are still there.
 */
const REPLY_QUEUE_EXPIRES_MS = 10 * 60 * 1000;

interface Pending {
  meta?: ResultMeta;
  waiters?: Array<{ resolve(meta: ResultMeta): void; reject(err: unknown): void }>;
}

/**
 * Celery's `rpc://` result backend, client side: one reply queue per client (named like Celery's
 * oid), results arrive as messages whose correlation id is the task id. Results are kept only
 * for tasks this client sent; an entry is dropped once its result was read, or when its
 * AsyncResult is garbage-collected, so unread results cannot accumulate without bound.
 */
export class RpcResultBackend implements ResultBackend {
  /** The reply queue's name, used as `reply_to` on every task this client sends (Celery's oid). */
  readonly replyTo = randomUUID();
  private readonly pending = new Map<string, Pending>();
  private readonly forget = new FinalizationRegistry<string>((taskId) => this.pending.delete(taskId));
  private started: Promise<Channel> | undefined;
  private consuming = false;
  private closed = false;

  constructor(
    private readonly connection: () => Promise<ChannelSource>,
    /** Result messages are decoded only in these content types (never pickle). */
    private readonly accept: AcceptList,
    private readonly logger: Logger,
    /** The reply queue's type: the app's default queue type (quorum on a cluster: see replyQueueOptions). */
    private readonly replyQueueType: QueueType = 'classic',
  ) {}

  /** Make sure the reply queue exists and is consumed (idempotent; awaited before the first send). */
  start(): Promise<unknown> {
    if (this.closed) return Promise.reject(new ClosedError('The result backend'));
    if (!this.started) {
      const starting = this.connection().then(async (connection) => {
        const channel = await connection.createChannel();
        channel.on('error', (err: Error) => this.logger.error(`Result channel closed: ${err.message}`));
        await channel.assertQueue(this.replyTo, replyQueueOptions(REPLY_QUEUE_EXPIRES_MS, this.replyQueueType));
        await channel.consume(this.replyTo, (message) => message && this.onMessage(message), { noAck: true });
        channel.on('close', () => {
          this.consuming = false;
          if (this.started === starting) this.started = undefined;
        });
        this.consuming = true;
        return channel;
      });
      starting.catch(() => {
        if (this.started === starting) this.started = undefined;
      });
      this.started = starting;
    }
    return this.started;
  }

  /**
   * After a reconnect: consume the reply queue again on the new connection (at once when results
   * are awaited, else on the next send).
   */
  restart(): void {
    this.started = undefined;
    this.consuming = false;
    if (this.closed || this.pending.size === 0) return;
    this.start().catch((err: unknown) => this.logger.error(`Could not resume receiving results: ${(err as Error).message}`));
  }

  /** True once the reply queue is consumed (lets the send path skip an await). */
  get isStarted(): boolean {
    return this.consuming;
  }

  /** Expect a result for `taskId`; `owner` is the AsyncResult whose collection ends the wait. */
  track(taskId: string, owner: object): void {
    if (!this.pending.has(taskId)) this.pending.set(taskId, {});
    this.forget.register(owner, taskId);
  }

  /** Stop expecting a result (the send failed). */
  untrack(taskId: string): void {
    this.pending.delete(taskId);
  }

  peek(taskId: string): ResultMeta | undefined {
    return this.pending.get(taskId)?.meta;
  }

  waitFor(taskId: string): Promise<ResultMeta> {
    const entry = this.pending.get(taskId);
    if (!entry) {
      return Promise.reject(new ClosedError(`Result tracking for task ${taskId}`));
    }
    if (entry.meta && READY_STATES.has(entry.meta.status)) return Promise.resolve(entry.meta);
    return new Promise<ResultMeta>((resolve, reject) => {
      entry.waiters ??= [];
      entry.waiters.push({ resolve, reject });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const channel = await this.started?.catch(() => undefined);
    this.started = undefined;
    for (const entry of this.pending.values()) {
      for (const waiter of entry.waiters ?? []) waiter.reject(new ClosedError('The app'));
    }
    this.pending.clear();
    // The queue is not auto-delete (it must outlive reconnects), so remove it on a clean close.
    await channel?.deleteQueue(this.replyTo).catch(() => undefined);
    await channel?.close().catch(() => undefined);
  }

  private onMessage(message: ConsumeMessage): void {
    const taskId = message.properties.correlationId;
    const entry = typeof taskId === 'string' ? this.pending.get(taskId) : undefined;
    if (!entry) return; // a result for a task this client no longer waits for
    let meta: ResultMeta;
    try {
      meta = parseResultMeta(this.accept.check(message.properties.contentType).decode(message.content));
    } catch (err) {
      this.logger.error(`Dropping an unreadable result for task ${taskId}: ${(err as Error).message}`);
      return;
    }
    const ready = READY_STATES.has(meta.status);
    // A worker reports RETRY after the next attempt is already in the broker, so a quick next
    // attempt's final state can arrive first: never let a progress state replace a final one.
    if (!ready && entry.meta && READY_STATES.has(entry.meta.status)) return;
    entry.meta = meta;
    if (!ready) return;
    const waiters = entry.waiters;
    entry.waiters = undefined;
    for (const waiter of waiters ?? []) waiter.resolve(meta);
  }
}
