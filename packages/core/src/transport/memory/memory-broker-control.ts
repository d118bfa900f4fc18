import { TaskqError } from '../../errors';
import { memoryBrokerAt } from './memory-url';

/** Options for {@link MemoryBrokerControl.idle}. */
export interface IdleOptions {
  /** Give up (reject) after this long, ms. @defaultValue 10000 */
  timeout?: number;
}

/** What a test can do with the in-memory broker behind a `memory://` app. */
export interface MemoryBrokerControl {
  /**
   * Resolves once nothing moves any more: no ready message in a queue that has a consumer, no
   * delivery waiting for its ack, no publish waiting for its confirm, no delayed message (countdown,
   * eta, retry delay) still waiting. Messages in queues nobody consumes (a dead-letter queue) do not
   * count. Start the worker before waiting: without a consumer, a task queue is not "moving".
   * Rejects with `IDLE_TIMEOUT`, naming what is still busy, after `timeout`.
   */
  idle(options?: IdleOptions): Promise<void>;
  /**
   * Drop every message (ready, delayed, unacked) so the next test starts empty. Queues, exchanges
   * and bindings stay, as they would on RabbitMQ; stop workers first.
   */
  reset(): void;
}

/** How long the broker must stay idle (two checks this far apart) before idle() resolves, ms. */
const SETTLE_MS = 5;

/**
 * The in-memory broker of an app created with `brokerUrl: 'memory://…'` (or that URL itself), for
 * tests: `await memoryBroker(app).idle()` after sending work, `memoryBroker(app).reset()` between tests.
 */
export function memoryBroker(appOrUrl: { readonly brokerUrl: string } | string): MemoryBrokerControl {
  const url = typeof appOrUrl === 'string' ? appOrUrl : appOrUrl.brokerUrl;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol !== 'memory:') {
    throw new TaskqError(
      'INVALID_OPTION',
      `memoryBroker() needs an app created with brokerUrl 'memory://' (or 'memory://<name>'); this one uses another broker.`,
    );
  }
  const broker = memoryBrokerAt(parsed);
  return {
    idle: (options = {}) => waitIdle(() => broker.busy(), options.timeout ?? 10_000),
    reset: () => broker.reset(),
  };
}

/**
 * Poll until `busy()` is empty on two checks a few ms apart: work often continues a moment after a
 * queue empties (a task's ack goes out on the next tick, a retry is published before its ack).
 */
function waitIdle(busy: () => string[], timeoutMs: number): Promise<void> {
  if (!(timeoutMs >= 0)) {
    return Promise.reject(new TaskqError('INVALID_OPTION', `idle({ timeout }) must be a number of milliseconds ≥ 0, found ${timeoutMs}.`));
  }
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    let quietSince: number | undefined;
    const check = (): void => {
      const now = Date.now();
      const pending = busy();
      if (pending.length === 0) {
        quietSince ??= now;
        if (now - quietSince >= SETTLE_MS) {
          resolve();
          return;
        }
      } else {
        quietSince = undefined;
        if (now >= deadline) {
          reject(
            // IDLE_TIMEOUT is to be added to ERROR_CODES (error-codes.ts belongs to the error-codes work).
            new TaskqError('IDLE_TIMEOUT', `The memory broker was still busy after ${timeoutMs} ms: ${pending.join('; ')}.`),
          );
          return;
        }
      }
      setTimeout(check, pending.length === 0 ? SETTLE_MS : 2);
    };
    check();
  });
}
