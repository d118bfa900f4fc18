import { inspect } from 'node:util';

const MAX_REPR = 1024;

/**
 * A bounded, human-readable rendering of task arguments for the `argsrepr`/`kwargsrepr` headers
 * (what monitoring tools such as Flower display). Never used to decode anything.
 */
export function shortRepr(value: unknown): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '()';
  } else if (isEmptyPlainObject(value)) {
    return '{}';
  }
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // Circular or BigInt: fall back to inspect, which copes with both.
    text = inspect(value, { depth: 2, breakLength: Infinity, maxArrayLength: 20, maxStringLength: 200 });
  }
  return text.length > MAX_REPR ? `${text.slice(0, MAX_REPR - 1)}…` : text;
}

function isEmptyPlainObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  for (const _ in value) return false;
  return true;
}
