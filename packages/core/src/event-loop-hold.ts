/**
 * Keeps the process alive while a producer has work in flight, and only then.
 *
 * A producer's sockets (the AMQP connection, the Redis result clients) are unref'd, so a script
 * that sent its tasks, read its results and forgot `app.close()` still exits, as a Node user
 * expects. What must not be cut short — a send waiting for the broker's confirm, a `get()`
 * waiting for a result, `close()` itself — is wrapped in {@link during}, which keeps one ref'd
 * timer alive while anything is pending. One timer for the whole app, started and stopped on the
 * edges: the cost per send is a counter and a `then`.
 */
export class EventLoopHold {
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly release = (): void => {
    this.pending -= 1;
    if (this.pending === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  };

  /** Keep the process alive until `promise` settles; returns `promise` itself. */
  during<T>(promise: Promise<T>): Promise<T> {
    this.pending += 1;
    // The interval never fires in practice (about 12 days); it exists to be ref'd.
    if (!this.timer) this.timer = setInterval(noop, 2 ** 30);
    promise.then(this.release, this.release);
    return promise;
  }

  /** True while some work is held (for tests). */
  get isHolding(): boolean {
    return this.pending > 0;
  }
}

function noop(): void {}

/**
 * Let a socket-like object stop holding the event loop (`unref`), if it is one. Works for
 * `net.Socket`, `tls.TLSSocket` and timers; anything else is left alone.
 */
export function unrefHandle(handle: unknown): void {
  const candidate = handle as { unref?: unknown } | null | undefined;
  if (candidate && typeof candidate.unref === 'function') (candidate as { unref(): void }).unref();
}
