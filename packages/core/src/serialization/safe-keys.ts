/**
 * Prototype-pollution guard shared by the decoders and the encoder's copy step.
 *
 * Policy: a key named `__proto__` is dropped from every decoded object. Parsers such as
 * `JSON.parse` create it as an inert own property, but the first naive `Object.assign`, spread
 * or deep merge downstream would turn it into a prototype change. No legitimate Celery payload
 * uses that key, so dropping it costs nothing. `constructor` and `prototype` are kept: as own
 * data properties they cannot change a prototype by themselves, and dropping them would corrupt
 * real data; code that deep-merges decoded values must still use a merge that skips them.
 */

/** The one key that is never allowed to reach a decoded object. */
export const FORBIDDEN_KEY = '__proto__';

/** True for keys the decoders drop (see the module comment for why only `__proto__`). */
export function isForbiddenKey(key: string): boolean {
  return key === FORBIDDEN_KEY;
}

/**
 * Sets `target[key] = value` as an own data property even when `key` is `__proto__`, where plain
 * assignment would call the prototype setter instead. Used when copying user values for encoding.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === FORBIDDEN_KEY) {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
