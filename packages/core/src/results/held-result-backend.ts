import type { EventLoopHold } from '../event-loop-hold';
import type { ResultMeta } from '../protocol';
import type { ResultBackend } from './result-backend';

/**
 * A producer's result backend whose waits keep the process alive: its sockets do not (see
 * EventLoopHold), so without this a script awaiting `get()` could exit before the result came.
 */
export class HeldResultBackend implements ResultBackend {
  constructor(
    private readonly backend: ResultBackend,
    private readonly hold: EventLoopHold,
  ) {}

  get replyTo(): string | undefined {
    return this.backend.replyTo;
  }

  get isStarted(): boolean {
    return this.backend.isStarted;
  }

  start(): Promise<unknown> {
    return this.backend.start();
  }

  track(taskId: string, owner: object): void {
    this.backend.track(taskId, owner);
  }

  untrack(taskId: string): void {
    this.backend.untrack(taskId);
  }

  waitFor(taskId: string): Promise<ResultMeta> {
    return this.hold.during(this.backend.waitFor(taskId));
  }

  peek(taskId: string): ResultMeta | undefined {
    return this.backend.peek(taskId);
  }

  timeoutError(taskId: string, timeoutMs: number): Error | undefined {
    return this.backend.timeoutError?.(taskId, timeoutMs);
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}
