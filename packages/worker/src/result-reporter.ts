import { ClosedError, TaskqError, type Logger, type ResultMeta, type TaskRequest, type TaskState } from '@taskq/core';
import { buildResultMeta, exceptionInfo, shortRepr, type ResultStore } from '@taskq/core/internal';

/** How long a worker keeps trying to store one result before it dead-letters it. */
export const DEFAULT_RESULT_STORE_TIMEOUT_MS = 300_000;

/** How a report ended. */
export type ReportOutcome =
  | { stored: true }
  /** The result backend stayed unreachable past the limit (or the worker is stopping): the document to keep. */
  | { stored: false; document: ResultMeta; error: Error };

const STORED: ReportOutcome = { stored: true };
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;

/** Codes of errors that mean "the result backend did not take it", as opposed to "this value cannot be encoded". */
const BACKEND_ERROR_CODES = new Set(['RESULT_BACKEND_UNREACHABLE', 'RESULT_STORE_FAILED']);

/** True when storing failed because of the backend (unreachable, refusing writes, closed), not the value. */
export function isBackendFailure(error: unknown): boolean {
  return error instanceof ClosedError || (error instanceof TaskqError && BACKEND_ERROR_CODES.has(error.code));
}

/**
 * One result backend outage as the worker sees it: a warning when the first store fails, a line
 * when a store succeeds again, and `onChange` so the worker stops starting tasks meanwhile.
 */
export class ResultOutage {
  private since: number | undefined;
  private probing: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly backend: string,
    private readonly onChange: (down: boolean) => void,
    /**
     * Resolves when the backend answers. Polled every second during an outage, so the end is seen
     * even when no held result is left to try (all were dead-lettered): no new task starts until then.
     */
    private readonly probe?: () => Promise<unknown>,
  ) {}

  /** True while the result backend is known to be unreachable. */
  get active(): boolean {
    return this.since !== undefined;
  }

  failed(error: Error): void {
    if (this.since !== undefined) return;
    this.since = Date.now();
    this.logger.warn(
      `Cannot store results in ${this.backend}: ${error.message} Holding finished tasks' results (their messages stay unacked) ` +
        `and starting no new task until it is back.`,
    );
    this.onChange(true);
    if (this.probe) this.scheduleProbe();
  }

  /** Stop probing (the worker is stopping). */
  close(): void {
    clearTimeout(this.probing);
    this.probing = undefined;
  }

  private scheduleProbe(): void {
    this.probing = setTimeout(() => {
      this.probe!().then(
        () => this.recovered(),
        () => {
          if (this.since !== undefined) this.scheduleProbe();
        },
      );
    }, 1000);
    this.probing.unref();
  }

  recovered(): void {
    if (this.since === undefined) return;
    this.close();
    const seconds = ((Date.now() - this.since) / 1000).toFixed(1);
    this.since = undefined;
    this.logger.info(
      `Result backend ${this.backend} is reachable again after ${seconds} s; held results are being stored, tasks start again.`,
    );
    this.onChange(false);
  }
}

/** What a {@link ResultReporter} needs besides its store. */
export interface ReporterSettings {
  outage: ResultOutage;
  /** Give up on one result after this long (then it is dead-lettered with the result kept). */
  timeoutMs: number;
}

/**
 * Turns a task's outcome into Celery's result document and stores it (rpc reply or Redis). A
 * value that cannot be encoded becomes the task's failure; a backend that cannot take the
 * document is never that: the document is kept and stored again with backoff (250 ms doubling to
 * 5 s) until it is stored or `timeoutMs` passes, and the task is not run again meanwhile.
 */
export class ResultReporter {
  private abandoned = false;
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly store: ResultStore,
    private readonly settings: ReporterSettings,
  ) {}

  /** True when the caller asked for a result and can receive one. */
  wantsResult(request: TaskRequest): boolean {
    return this.store.wantsResult(request);
  }

  async success(request: TaskRequest, value: unknown): Promise<ReportOutcome> {
    try {
      return await this.persist(request, this.meta(request, 'SUCCESS', value, null));
    } catch (error) {
      // The value cannot travel (a function, a cycle…): the caller gets that as the failure.
      return this.failure(request, error);
    }
  }

  failure(request: TaskRequest, error: unknown, state: TaskState = 'FAILURE'): Promise<ReportOutcome> {
    const traceback = error instanceof Error ? (error.stack ?? null) : null;
    return this.persist(request, this.meta(request, state, exceptionInfo(error), traceback));
  }

  /** Celery's RETRY document (`mark_as_retry`): a progress state, stored once (not held through an outage). */
  async retry(request: TaskRequest, error: unknown): Promise<void> {
    const traceback = error instanceof Error ? (error.stack ?? null) : null;
    await this.store.store(request, this.meta(request, 'RETRY', exceptionInfo(error), traceback));
  }

  /** Stop waiting for the backend: every held result gives up now (a stopping worker dead-letters them). */
  abandon(): void {
    this.abandoned = true;
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
  }

  private async persist(request: TaskRequest, document: ResultMeta): Promise<ReportOutcome> {
    const { outage, timeoutMs } = this.settings;
    const deadline = Date.now() + timeoutMs;
    let delay = FIRST_RETRY_MS;
    for (;;) {
      try {
        await this.store.store(request, document);
        outage.recovered();
        return STORED;
      } catch (error) {
        if (!isBackendFailure(error)) throw error;
        outage.failed(error as Error);
        if (this.abandoned || Date.now() + delay > deadline) return { stored: false, document, error: error as Error };
      }
      await this.sleep(delay);
      delay = Math.min(delay * 2, MAX_RETRY_MS);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private meta(request: TaskRequest, status: TaskState, result: unknown, traceback: string | null): ResultMeta {
    return buildResultMeta({
      taskId: request.id,
      status,
      result,
      traceback,
      ...(request.groupId ? { groupId: request.groupId } : {}),
      ...(request.parentId ? { parentId: request.parentId } : {}),
    });
  }
}

/** A short, log-friendly rendering of a result value. */
export function describeValue(value: unknown): string {
  return value === undefined ? 'undefined' : shortRepr(value);
}
