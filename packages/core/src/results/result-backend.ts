import type { ResultMeta, TaskRequest } from '../protocol';
import type { ResultSource } from './async-result';

/**
 * The caller's side of a result backend: where `get()` waits. One per app (producer side).
 * Implementations: {@link RpcResultBackend} (Celery's `rpc://`) and the Redis backend.
 */
export interface ResultBackend extends ResultSource {
  /** The `reply_to` to put on sent tasks, when the backend receives results by message. */
  readonly replyTo: string | undefined;
  /** True once ready to receive (lets the send path skip an await). */
  readonly isStarted: boolean;
  /** Get ready to receive results (idempotent). Awaited before the first send that wants a result. */
  start(): Promise<unknown>;
  /** Expect a result for `taskId`; tracking ends when `owner` (the AsyncResult) is garbage-collected. */
  track(taskId: string, owner: object): void;
  /** Stop expecting a result (the send failed). */
  untrack(taskId: string): void;
  close(): Promise<void>;
}

/** The worker's side of a result backend: where finished tasks' results are written. */
export interface ResultStore {
  /** True when this request's sender can receive a result from this store. */
  wantsResult(request: TaskRequest): boolean;
  /**
   * Record a result document (for rpc: publish it; for redis: SET + PUBLISH). Rejects with a
   * `RESULT_BACKEND_UNREACHABLE` or `RESULT_STORE_FAILED` {@link TaskqError} when the backend did not
   * take it (the worker then holds the result and tries again), and with any other error when the
   * document cannot be encoded.
   */
  store(request: TaskRequest, meta: ResultMeta): Promise<void>;
  /** Connect now and reject with a clear error when the backend cannot be reached (a worker checks this at start). */
  check?(): Promise<void>;
  close(): Promise<void>;
}
