/**
 * Race `promise` against a deadline (an epoch-ms time). The promise keeps running; only the
 * caller stops waiting, and gets `onTimeout()`'s error.
 */
export function beforeDeadline<T>(promise: Promise<T>, deadline: number, onTimeout: () => Error): Promise<T> {
  // A promise that is already settled wins even at a deadline of "now" (it settles in a microtask).
  const remaining = Math.max(0, deadline - Date.now());
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), remaining);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
