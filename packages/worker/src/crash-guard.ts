import type { Logger } from '@taskq/core';
import { runningTaskContext } from '@taskq/core/internal';
import type { CrashRegistry } from './task-executor';

/** Where an uncaught error came from. */
export type CrashKind = 'uncaught exception' | 'unhandled rejection';

/**
 * The worker's `uncaughtException` and `unhandledRejection` handlers. Node runs them in the async
 * context of the code that threw, so an error raised by a task — in a timer, an event callback,
 * a promise nobody awaited — is pinned on that task: a running task fails with it (and is
 * retried or reported like any failure) and the worker keeps serving; one that already finished
 * gets a log line. Only an error from outside every task is fatal: `onFatal` decides how the
 * process ends, as Node itself would have ended it.
 */
export class CrashGuard implements CrashRegistry {
  private readonly running = new Map<object, (error: unknown) => void>();
  private installed = false;
  private readonly onException = (error: unknown): void => this.handle('uncaught exception', error);
  private readonly onRejection = (reason: unknown): void => this.handle('unhandled rejection', reason);

  constructor(
    private readonly logger: Logger,
    private readonly onFatal: (error: unknown, kind: CrashKind) => void,
  ) {}

  install(): void {
    if (this.installed) return;
    this.installed = true;
    process.on('uncaughtException', this.onException);
    process.on('unhandledRejection', this.onRejection);
  }

  uninstall(): void {
    if (!this.installed) return;
    this.installed = false;
    process.off('uncaughtException', this.onException);
    process.off('unhandledRejection', this.onRejection);
  }

  register(context: object, fail: (error: unknown) => void): () => void {
    this.running.set(context, fail);
    return () => {
      this.running.delete(context);
    };
  }

  /** Exposed for tests: what the process handlers do. */
  handle(kind: CrashKind, error: unknown): void {
    const context = runningTaskContext();
    if (!context) {
      this.onFatal(error, kind);
      return;
    }
    const label = `${context.name}[${context.id}]`;
    const fail = this.running.get(context);
    if (fail) {
      this.running.delete(context);
      this.logger.error(`Task ${label} raised an ${kind}: it fails with that error; the worker keeps running.`, error);
      fail(error);
    } else {
      this.logger.error(
        `Task ${label} raised an ${kind} after it had finished (a callback or promise it left behind); the worker keeps running.`,
        error,
      );
    }
  }
}
