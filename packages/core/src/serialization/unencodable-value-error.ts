import { SerializationError } from '../errors';

/** One step into a value: an array index or an object key. */
export type ValuePathSegment = string | number;

/**
 * A value could not be encoded. Carries the `path` to the offending part so that callers which
 * know the value's shape (e.g. a Celery body `[args, kwargs, embed]`) can re-label it.
 * `code` is `SERIALIZATION_FAILED`, like every {@link SerializationError}.
 */
export class UnencodableValueError extends SerializationError {
  constructor(
    /** The format that refused the value, e.g. `JSON`. */
    readonly format: string,
    /** Path from the encoded value's root to the offending part; empty for the root itself. */
    readonly path: readonly ValuePathSegment[],
    /** What was found, e.g. `a function`. */
    readonly found: string,
    /** Why it cannot be encoded and what to do instead. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot encode ${found} as ${format} at ${formatValuePath(path)}: ${reason}`, options);
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
// Paths inside runaway structures can be thousands of steps long; the head locates the problem.
const MAX_SHOWN_SEGMENTS = 12;

/**
 * Formats a path as a JavaScript accessor rooted at `$`, e.g. `$[0][1].callback` or
 * `$["content-type"]`.
 */
export function formatValuePath(path: readonly ValuePathSegment[]): string {
  let text = '$';
  const shown = path.length > MAX_SHOWN_SEGMENTS ? path.slice(0, MAX_SHOWN_SEGMENTS) : path;
  for (const segment of shown) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) text += `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return path.length > shown.length ? `${text}…(${path.length - shown.length} more)` : text;
}
